package main

import (
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/blob"
)

// sharedAdapters holds adapters that several areas use (the blob store, the
// event sink), built once on first use so start-up stays fast.
type sharedAdapters struct {
	blobOnce sync.Once
	blob     *blob.Store
	blobErr  error
}

// blobStore returns the app's blob store (BLOB_SERVICE_URL with the app's
// identity, or BLOB_CONNECTION_STRING locally). It does no I/O.
func (a *app) blobStore() (*blob.Store, error) {
	s := &a.shared
	s.blobOnce.Do(func() {
		s.blob, s.blobErr = blob.New(blob.Options{
			ServiceURL: a.cfg.BlobServiceURL, Credential: a.cred,
			ConnectionString: a.cfg.BlobConnectionString, Container: a.cfg.BlobContainer,
		})
	})
	return s.blob, s.blobErr
}
