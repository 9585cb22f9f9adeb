package inmem

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Outbox is an in-memory domain.EventOutbox: entries keyed by a sequence
// number, so a listing is oldest first.
type Outbox struct {
	mu      sync.Mutex
	next    int
	entries map[string][]domain.Event
}

var _ domain.EventOutbox = (*Outbox)(nil)

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox { return &Outbox{entries: map[string][]domain.Event{}} }

// Put stores events as one new entry; no events, no entry.
func (o *Outbox) Put(ctx context.Context, events []domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next++
	o.entries[fmt.Sprintf("%020d", o.next)] = slices.Clone(events)
	return nil
}

// Pending lists the entry keys, oldest first.
func (o *Outbox) Pending(ctx context.Context) ([]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := make([]string, 0, len(o.entries))
	for k := range o.entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// Load returns an entry's events, or ENOTFOUND.
func (o *Outbox) Load(ctx context.Context, key string) ([]domain.Event, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	es, ok := o.entries[key]
	if !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "inmem: no outbox entry %q", key)
	}
	return slices.Clone(es), nil
}

// Remove deletes an entry; one already gone is not an error.
func (o *Outbox) Remove(ctx context.Context, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.entries, key)
	return nil
}
