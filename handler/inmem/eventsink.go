package inmem

import (
	"context"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// EventSink is an in-memory domain.EventSink that behaves like a Service Bus
// queue with duplicate detection: an event whose id was already delivered is
// accepted and dropped. Tests read what was delivered with Events or Take.
// With an outbox (SetOutbox) it delivers the outbox's entries, oldest first,
// on Drain and before the events of every Publish, as the Service Bus
// publisher does.
type EventSink struct {
	outbox domain.EventOutbox

	mu         sync.Mutex
	seen       map[string]bool
	events     []domain.Event
	taken      int
	duplicates int
	fail       error
}

var (
	_ domain.EventSink     = (*EventSink)(nil)
	_ domain.OutboxDrainer = (*EventSink)(nil)
)

// NewEventSink returns an empty sink.
func NewEventSink() *EventSink { return &EventSink{seen: map[string]bool{}} }

// SetOutbox gives the sink an outbox to drain. Call it before use.
func (s *EventSink) SetOutbox(o domain.EventOutbox) { s.outbox = o }

// Publish records the events not seen before, in order, after what waits in
// the outbox; with no events it does nothing. An empty id is EINVALID
// (Service Bus needs a MessageID for duplicate detection); a failure set
// with FailNext is returned once, recording nothing.
func (s *EventSink) Publish(ctx context.Context, events []domain.Event) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.EUNAVAILABLE, err, "inmem: publish cancelled")
	}
	for _, e := range events {
		if e.ID == "" {
			return domain.Errorf(domain.EINVALID, "inmem: event of type %s has no id", e.Type)
		}
	}
	if len(events) == 0 {
		return nil
	}
	if _, err := s.Drain(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail; err != nil {
		s.fail = nil
		return err
	}
	s.deliver(events)
	return nil
}

// deliver records events not seen before; the caller holds s.mu.
func (s *EventSink) deliver(events []domain.Event) {
	for _, e := range events {
		if s.seen[e.ID] {
			s.duplicates++
			continue
		}
		s.seen[e.ID] = true
		s.events = append(s.events, e)
	}
}

// Drain delivers the outbox's entries, oldest first, removing each after
// delivery, and returns how many events they held.
func (s *EventSink) Drain(ctx context.Context) (int, error) {
	if s.outbox == nil {
		return 0, nil
	}
	keys, err := s.outbox.Pending(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		events, err := s.outbox.Load(ctx, k)
		if domain.IsCode(err, domain.ENOTFOUND) {
			continue // delivered by another drain
		}
		if err != nil {
			return n, err
		}
		s.mu.Lock()
		s.deliver(events)
		s.mu.Unlock()
		if err := s.outbox.Remove(ctx, k); err != nil {
			return n, err
		}
		n += len(events)
	}
	return n, nil
}

// FailNext makes the next Publish return err and deliver nothing.
func (s *EventSink) FailNext(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// Events returns every event delivered so far, in order.
func (s *EventSink) Events() []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]domain.Event(nil), s.events...)
}

// Take returns the events delivered since the previous Take, like a
// consumer reading the queue.
func (s *EventSink) Take() []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]domain.Event(nil), s.events[s.taken:]...)
	s.taken = len(s.events)
	return out
}

// Duplicates returns how many events were dropped as repeats.
func (s *EventSink) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates
}
