package blob

import (
	"bytes"
	"context"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Checkpoints is the domain.CheckpointStore on blobs under "checkpoints/".
type Checkpoints struct {
	s *Store
	// folder is the blob name prefix: "checkpoints/", or "deliveries/" for
	// the delivery log built on the same conditional writes (deliveries.go).
	folder string
}

// Checkpoints returns the store's checkpoint store.
func (s *Store) Checkpoints() *Checkpoints { return &Checkpoints{s: s, folder: "checkpoints/"} }

var _ domain.CheckpointStore = (*Checkpoints)(nil)

func (c *Checkpoints) blob(key string) (*blockblob.Client, error) {
	k, err := cleanKey(key)
	if err != nil {
		return nil, err
	}
	return c.s.cc.NewBlockBlobClient(c.folder + k + ".json"), nil
}

// Load returns the checkpoint and its ETag, or ENOTFOUND.
func (c *Checkpoints) Load(ctx context.Context, key string) ([]byte, string, error) {
	bb, err := c.blob(key)
	if err != nil {
		return nil, "", err
	}
	return loadDoc(ctx, bb, "checkpoint "+key)
}

// Save writes the checkpoint: create-only when etag is "", else replace only
// the version with that ETag. A lost race is ECONFLICT.
func (c *Checkpoints) Save(ctx context.Context, key string, data []byte, etag string) (string, error) {
	bb, err := c.blob(key)
	if err != nil {
		return "", err
	}
	return c.s.saveDoc(ctx, bb, data, etag, "checkpoint "+key)
}

// loadDoc reads a small JSON document and its ETag, or ENOTFOUND.
func loadDoc(ctx context.Context, bb *blockblob.Client, what string) ([]byte, string, error) {
	resp, err := bb.DownloadStream(ctx, nil)
	if err != nil {
		return nil, "", translate(err, "load %s", what)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, "", translate(err, "read %s", what)
	}
	return data, string(*resp.ETag), nil
}

// saveDoc writes a small JSON document: create-only when etag is "", else
// replace only the version with that ETag (a lost race is ECONFLICT).
func (s *Store) saveDoc(ctx context.Context, bb *blockblob.Client, data []byte, etag, what string) (string, error) {
	if err := s.EnsureContainer(ctx); err != nil {
		return "", err
	}
	resp, err := bb.Upload(ctx, nopSeekCloser(data), &blockblob.UploadOptions{
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: to.Ptr("application/json")},
		AccessConditions: ifETag(etag),
	})
	if err != nil {
		return "", translate(err, "save %s", what)
	}
	return string(*resp.ETag), nil
}

// Delete removes the checkpoint; deleting an absent one is not an error.
func (c *Checkpoints) Delete(ctx context.Context, key string) error {
	bb, err := c.blob(key)
	if err != nil {
		return err
	}
	_, err = bb.Delete(ctx, nil)
	if err != nil && !domain.IsCode(translate(err, ""), domain.ENOTFOUND) {
		return translate(err, "delete checkpoint %q", key)
	}
	return nil
}

type readSeekNopCloser struct{ *bytes.Reader }

func (readSeekNopCloser) Close() error { return nil }

// nopSeekCloser wraps b for azblob uploads.
func nopSeekCloser(b []byte) readSeekNopCloser { return readSeekNopCloser{bytes.NewReader(b)} }
