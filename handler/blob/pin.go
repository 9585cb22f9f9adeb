package blob

import (
	"context"
	"encoding/json"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// pinBlob is the pinned app's document (docs/security.md, "Which app is
// ours"): one small JSON document, changed only with ETag conditions.
const pinBlob = "state/pinned-app.json"

// Pins is the domain.PinStore on the blob state/pinned-app.json.
type Pins struct{ s *Store }

// Pins returns the store's pinned-app document.
func (s *Store) Pins() *Pins { return &Pins{s: s} }

var _ domain.PinStore = (*Pins)(nil)

// LoadPin returns the pinned app and its ETag, ENOTFOUND when none.
func (p *Pins) LoadPin(ctx context.Context) (domain.PinnedApp, string, error) {
	data, etag, err := loadDoc(ctx, p.s.cc.NewBlockBlobClient(pinBlob), "the pinned app ("+pinBlob+")")
	if err != nil {
		return domain.PinnedApp{}, "", err
	}
	var pin domain.PinnedApp
	if err := json.Unmarshal(data, &pin); err != nil || !domain.IsGUID(pin.AppID) || pin.ServicePrincipalID == "" || pin.ObjectID == "" {
		return domain.PinnedApp{}, "", domain.Errorf(domain.EUPSTREAM, "the pinned app document %s is damaged: an operator rewrites it with `handler provision --adopt <appId>`", pinBlob)
	}
	return pin, etag, nil
}

// SavePin writes the pinned app: create-only when etag is "", else replace
// only that version (ECONFLICT when another run moved it on).
func (p *Pins) SavePin(ctx context.Context, pin domain.PinnedApp, etag string) (string, error) {
	data, err := json.Marshal(pin)
	if err != nil {
		return "", domain.Wrap(domain.EINTERNAL, err, "encode the pinned app")
	}
	return p.s.saveDoc(ctx, p.s.cc.NewBlockBlobClient(pinBlob), data, etag, "the pinned app ("+pinBlob+")")
}
