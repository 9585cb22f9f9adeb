package blob

import (
	"context"
	"encoding/json"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Deliveries is the domain.DeliveryLog on blobs "deliveries/<key>.json", one
// small JSON record per webhook delivery, written with the same ETag
// conditions as the checkpoints (If-None-Match: * to claim, If-Match to
// replace). Records are bounded in size (domain.MaxDeliveryAnswer) and in
// age by the storage account's lifecycle rule on "deliveries/"
// (infra/bicep/modules/storage.bicep; docs/webhooks.md, "Replays and
// retries").
type Deliveries struct{ docs *Checkpoints }

// Deliveries returns the store's webhook delivery log.
func (s *Store) Deliveries() *Deliveries {
	return &Deliveries{docs: &Checkpoints{s: s, folder: "deliveries/"}}
}

var _ domain.DeliveryLog = (*Deliveries)(nil)

// Claim implements domain.DeliveryLog: a create-only write; when the record
// exists, it is read and returned unchanged.
func (l *Deliveries) Claim(ctx context.Context, key string, d domain.Delivery) (domain.Delivery, string, bool, error) {
	data, err := encodeDelivery(key, d)
	if err != nil {
		return domain.Delivery{}, "", false, err
	}
	v, err := l.docs.Save(ctx, key, data, "")
	if err == nil {
		return d, v, true, nil
	}
	if !domain.IsCode(err, domain.ECONFLICT) {
		return domain.Delivery{}, "", false, err
	}
	raw, v, err := l.docs.Load(ctx, key)
	if err != nil {
		// Claimed and forgotten again in between: the caller asks again.
		return domain.Delivery{}, "", false, domain.Wrap(domain.ECONFLICT, err, "delivery record changed while it was read")
	}
	var stored domain.Delivery
	if err := json.Unmarshal(raw, &stored); err != nil {
		// An unreadable record is treated as an old one: the caller may replace it.
		return domain.Delivery{}, v, false, nil
	}
	return stored, v, false, nil
}

// Replace implements domain.DeliveryLog.
func (l *Deliveries) Replace(ctx context.Context, key string, d domain.Delivery, version string) (string, error) {
	data, err := encodeDelivery(key, d)
	if err != nil {
		return "", err
	}
	if version == "" {
		return "", domain.Errorf(domain.ECONFLICT, "delivery record: replace needs the version read")
	}
	v, err := l.docs.Save(ctx, key, data, version)
	if domain.IsCode(err, domain.ENOTFOUND) {
		return "", domain.Wrap(domain.ECONFLICT, err, "delivery record is gone")
	}
	return v, err
}

// Forget implements domain.DeliveryLog.
func (l *Deliveries) Forget(ctx context.Context, key string) error {
	if !domain.ValidDeliveryKey(key) {
		return domain.Errorf(domain.EINVALID, "delivery key must be 64 lowercase hex digits")
	}
	return l.docs.Delete(ctx, key)
}

func encodeDelivery(key string, d domain.Delivery) ([]byte, error) {
	if err := domain.CheckDelivery(key, d); err != nil {
		return nil, err
	}
	return json.Marshal(d)
}
