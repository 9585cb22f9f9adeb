package domain

import "context"

// EventOutbox keeps remediation events that could not be delivered (Service
// Bus unreachable) until a later run delivers them. Entries are groups of
// events written together; nothing in an entry is lost until Remove.
//
// Used only by event sinks: jobs publish through EventSink and never see it.
type EventOutbox interface {
	// Put durably stores events as one new entry.
	Put(ctx context.Context, events []Event) error
	// Pending lists the keys of stored entries, oldest first.
	Pending(ctx context.Context) ([]string, error)
	// Load returns an entry's events; ENOTFOUND when it is gone (another
	// instance delivered it).
	Load(ctx context.Context, key string) ([]Event, error)
	// Remove deletes an entry after its events were delivered; removing an
	// entry that is already gone succeeds.
	Remove(ctx context.Context, key string) error
}

// OutboxDrainer delivers what an EventSink set aside in its outbox. Drain
// returns how many events it delivered; entries another instance delivered
// meanwhile are skipped. An error means some entries stay for a later
// Drain; nothing is lost. Jobs that run on a schedule (the audit) drain
// before they publish; Publish itself never drains on an empty call.
type OutboxDrainer interface {
	Drain(ctx context.Context) (int, error)
}
