package domain

import (
	"context"
	"errors"
	"time"
)

// EventSink delivers remediation events. Publish returns only when every
// event was accepted by the sink (or durably set aside to be delivered later);
// an error means some events may not have been, and the caller may publish the
// same events again: sinks deduplicate on Event.ID. Publishing no events does
// nothing; what a sink set aside is delivered by its OutboxDrainer.
type EventSink interface {
	Publish(ctx context.Context, events []Event) error
}

// Lock is a named, expiring mutual-exclusion lock shared by all instances of
// the app (a blob lease in Azure). Acquire returns an ECONFLICT error
// wrapping ErrBusy when another holder has it.
type Lock interface {
	Acquire(ctx context.Context, name string, ttl time.Duration) (Lease, error)
}

// ErrBusy is in the chain of an error that means "another run is doing this
// work right now" (the lock is held, or another invocation moved the run's
// checkpoint on): nothing is wrong, the caller need not retry. Other
// ECONFLICT errors (several apps match, a write precondition failed) are
// real failures, so callers test for ErrBusy with errors.Is, never for the
// ECONFLICT code alone.
var ErrBusy = errors.New("another run is in progress")

// Lease is a held lock. Renew extends it; Release gives it up. Both may be
// called after the context of Acquire is done. Jobs hold one with HoldLease
// or KeepLease (lease.go), which renew it and stop the work when a renewal
// fails.
type Lease interface {
	Renew(ctx context.Context) error
	Release(ctx context.Context) error
}

// CheckpointStore keeps small JSON documents (scan checkpoints, cursors) with
// optimistic concurrency. Load returns ENOTFOUND when key is absent. Save
// with etag "" creates and fails with ECONFLICT if the key exists; with a
// non-empty etag it replaces only that version (ECONFLICT otherwise).
type CheckpointStore interface {
	Load(ctx context.Context, key string) (data []byte, etag string, err error)
	Save(ctx context.Context, key string, data []byte, etag string) (newETag string, err error)
	Delete(ctx context.Context, key string) error
}

// AppCheck is an app-wide check that the audit and diagnose jobs run by
// name beside their per-user rules: it returns its findings, none when all
// is well. The app wires one of each name below.
type AppCheck func(ctx context.Context) ([]Finding, error)

// The app checks' names.
const (
	// CheckAppDrift is the provision plan run as a dry run (provision.Job.Drift).
	CheckAppDrift = "appDrift"
	// CheckCertificate is the signing certificate's expiry
	// (archive.Job.CertificateCheck).
	CheckCertificate = "certificate"
)
