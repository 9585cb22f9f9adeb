package main

import (
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

// lazy builds a value once, on first use, so start-up does no I/O and a
// missing optional adapter fails only what needs it; it keeps the value or
// the error.
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (l *lazy[T]) get(build func() (T, error)) (T, error) {
	l.once.Do(func() { l.v, l.err = build() })
	return l.v, l.err
}

// sharedAdapters holds adapters that several areas use, built once on
// first use so start-up stays fast.
type sharedAdapters struct {
	blob      lazy[*blob.Store]
	events    lazy[*servicebus.Publisher] // with its outbox in blob
	provision lazy[*provision.Job]        // used by provision and the drift check
}

// blobStore returns the app's blob store (BLOB_SERVICE_URL with the app's
// identity, or BLOB_CONNECTION_STRING locally). It does no I/O.
func (a *app) blobStore() (*blob.Store, error) {
	return a.shared.blob.get(func() (*blob.Store, error) {
		return blob.New(blob.Options{
			ServiceURL: a.cfg.BlobServiceURL, Credential: a.cred,
			ConnectionString: a.cfg.BlobConnectionString, Container: a.cfg.BlobContainer,
		})
	})
}
