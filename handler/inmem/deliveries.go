package inmem

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Deliveries is an in-memory domain.DeliveryLog holding at most Max records:
// when full, the record first seen longest ago is dropped to make room.
type Deliveries struct {
	mu   sync.Mutex
	max  int
	recs map[string]deliveryRec
	seq  int
}

type deliveryRec struct {
	d       domain.Delivery
	version string
}

var _ domain.DeliveryLog = (*Deliveries)(nil)

// NewDeliveries returns an empty log of at most max records (10,000 when max
// is not positive).
func NewDeliveries(max int) *Deliveries {
	if max <= 0 {
		max = 10000
	}
	return &Deliveries{max: max, recs: map[string]deliveryRec{}}
}

// Claim implements domain.DeliveryLog.
func (l *Deliveries) Claim(ctx context.Context, key string, d domain.Delivery) (domain.Delivery, string, bool, error) {
	if err := domain.CheckDelivery(key, d); err != nil {
		return domain.Delivery{}, "", false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.recs[key]; ok {
		return cloneDelivery(r.d), r.version, false, nil
	}
	if len(l.recs) >= l.max {
		l.evictOldest()
	}
	v := l.put(key, d)
	return cloneDelivery(d), v, true, nil
}

// Replace implements domain.DeliveryLog.
func (l *Deliveries) Replace(ctx context.Context, key string, d domain.Delivery, version string) (string, error) {
	if err := domain.CheckDelivery(key, d); err != nil {
		return "", err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.recs[key]; !ok || r.version != version {
		return "", domain.Errorf(domain.ECONFLICT, "delivery record changed since it was read")
	}
	return l.put(key, d), nil
}

// Forget implements domain.DeliveryLog.
func (l *Deliveries) Forget(ctx context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.recs, key)
	return nil
}

// Len returns how many records are held.
func (l *Deliveries) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

func (l *Deliveries) put(key string, d domain.Delivery) string {
	l.seq++
	v := `"` + strconv.Itoa(l.seq) + `"`
	l.recs[key] = deliveryRec{d: cloneDelivery(d), version: v}
	return v
}

func (l *Deliveries) evictOldest() {
	oldest := ""
	for k, r := range l.recs {
		if oldest == "" || r.d.At.Before(l.recs[oldest].d.At) {
			oldest = k
		}
	}
	delete(l.recs, oldest)
}

func cloneDelivery(d domain.Delivery) domain.Delivery {
	d.Answer = json.RawMessage(slices.Clone([]byte(d.Answer)))
	return d
}
