package blob

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Lock is the domain.Lock on blob leases: one empty blob per lock name under
// "locks/", leased for 15–60 s and renewed by the holder.
type Lock struct{ s *Store }

// Lock returns the store's lock.
func (s *Store) Lock() *Lock { return &Lock{s: s} }

var _ domain.Lock = (*Lock)(nil)

// Acquire leases the lock blob for ttl (clamped to Blob's 15–60 s range; hold
// it longer with Renew). Another holder → ECONFLICT.
func (l *Lock) Acquire(ctx context.Context, name string, ttl time.Duration) (domain.Lease, error) {
	if err := l.s.EnsureContainer(ctx); err != nil {
		return nil, err
	}
	k, err := cleanKey(name)
	if err != nil {
		return nil, err
	}
	bb := l.s.cc.NewBlockBlobClient("locks/" + k)
	secs := int32(ttl / time.Second)
	if secs < 15 {
		secs = 15
	}
	if secs > 60 {
		secs = 60
	}
	lc, err := lease.NewBlobClient(bb, nil)
	if err != nil {
		return nil, domain.Wrap(domain.EINTERNAL, err, "blob: lease client for %q", name)
	}
	_, err = lc.AcquireLease(ctx, secs, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		// First use: create the lock blob (racing creators are fine), then lease.
		_, cerr := bb.Upload(ctx, readSeekNopCloser{bytes.NewReader(nil)}, &blockblob.UploadOptions{})
		if cerr != nil && !bloberror.HasCode(cerr, bloberror.LeaseIDMissing) {
			return nil, translate(cerr, "create lock %q", name)
		}
		_, err = lc.AcquireLease(ctx, secs, nil)
	}
	if err != nil {
		if bloberror.HasCode(err, bloberror.LeaseAlreadyPresent) {
			return nil, domain.Wrap(domain.ECONFLICT, fmt.Errorf("%w: %w", domain.ErrBusy, err), "another run holds the %q lock; try again when it has finished", name)
		}
		return nil, translate(err, "acquire lock %q", name)
	}
	return &blobLease{lc: lc, name: name}, nil
}

type blobLease struct {
	lc   *lease.BlobClient
	name string
}

func (b *blobLease) Renew(ctx context.Context) error {
	_, err := b.lc.RenewLease(ctx, nil)
	return translate(err, "renew lock %q", b.name)
}

func (b *blobLease) Release(ctx context.Context) error {
	_, err := b.lc.ReleaseLease(ctx, nil)
	return translate(err, "release lock %q", b.name)
}
