package blob

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// aircallUsersBlob is where the Aircall snapshot lives: gzip'd JSON, one
// array [id, email, name, createdAt] per user (about 25 bytes a user once
// compressed).
const aircallUsersBlob = "aircall/users.json.gz"

// maxAircallSnapshot bounds a snapshot read back (uncompressed): far above
// any Aircall company (a million users is about 80 MiB).
const maxAircallSnapshot = 256 << 20

// AircallUsers is the domain.AircallSnapshotStore on one blob.
type AircallUsers struct{ s *Store }

// AircallUsers returns the store's Aircall snapshot store.
func (s *Store) AircallUsers() *AircallUsers { return &AircallUsers{s: s} }

var _ domain.AircallSnapshotStore = (*AircallUsers)(nil)

type wireSnapshot struct {
	TakenAt time.Time         `json:"takenAt"`
	FullAt  time.Time         `json:"fullAt"`
	Users   []json.RawMessage `json:"users"`
}

// LoadAircallUsers reads the snapshot and its ETag, or ENOTFOUND.
func (a *AircallUsers) LoadAircallUsers(ctx context.Context) (*domain.AircallSnapshot, string, error) {
	resp, err := a.s.cc.NewBlockBlobClient(aircallUsersBlob).DownloadStream(ctx, nil)
	if err != nil {
		return nil, "", translate(err, "load the Aircall snapshot")
	}
	defer resp.Body.Close()
	corrupt := func(err error) error {
		return domain.Wrap(domain.EUPSTREAM, err, "blob: the Aircall snapshot %s is unreadable: delete it and the next run lists every Aircall user again", aircallUsersBlob)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		return nil, "", corrupt(err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxAircallSnapshot+1))
	if err != nil {
		return nil, "", translate(err, "read the Aircall snapshot")
	}
	if len(data) > maxAircallSnapshot {
		return nil, "", corrupt(io.ErrShortBuffer)
	}
	var w wireSnapshot
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, "", corrupt(err)
	}
	snap := &domain.AircallSnapshot{TakenAt: w.TakenAt, FullAt: w.FullAt, Users: make([]domain.AircallUser, len(w.Users))}
	for i, raw := range w.Users {
		u := &snap.Users[i]
		fields := []any{&u.ID, &u.Email, &u.Name, &u.CreatedAt}
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, "", corrupt(err)
		}
	}
	return snap, string(*resp.ETag), nil
}

// SaveAircallUsers writes the snapshot: create-only when etag is "", else
// replace only the version with that ETag. A lost race is ECONFLICT.
func (a *AircallUsers) SaveAircallUsers(ctx context.Context, snap *domain.AircallSnapshot, etag string) (string, error) {
	if err := a.s.EnsureContainer(ctx); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	w := wireSnapshot{TakenAt: snap.TakenAt.UTC(), FullAt: snap.FullAt.UTC(), Users: make([]json.RawMessage, len(snap.Users))}
	for i, u := range snap.Users {
		raw, err := json.Marshal([]any{u.ID, u.Email, u.Name, u.CreatedAt.UTC()})
		if err != nil {
			return "", domain.Wrap(domain.EINTERNAL, err, "blob: encode the Aircall snapshot")
		}
		w.Users[i] = raw
	}
	if err := enc.Encode(w); err != nil {
		return "", domain.Wrap(domain.EINTERNAL, err, "blob: encode the Aircall snapshot")
	}
	if err := zw.Close(); err != nil {
		return "", domain.Wrap(domain.EINTERNAL, err, "blob: compress the Aircall snapshot")
	}
	resp, err := a.s.cc.NewBlockBlobClient(aircallUsersBlob).Upload(ctx, nopSeekCloser(buf.Bytes()), &blockblob.UploadOptions{
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: to.Ptr("application/gzip")},
		AccessConditions: ifETag(etag),
	})
	if err != nil {
		return "", translate(err, "save the Aircall snapshot")
	}
	return string(*resp.ETag), nil
}

// ifETag is the write condition of the stores with optimistic concurrency:
// create-only when etag is "", else replace only that version.
func ifETag(etag string) *blob.AccessConditions {
	cond := &blob.ModifiedAccessConditions{}
	if etag == "" {
		cond.IfNoneMatch = to.Ptr(azcore.ETagAny)
	} else {
		cond.IfMatch = to.Ptr(azcore.ETag(etag))
	}
	return &blob.AccessConditions{ModifiedAccessConditions: cond}
}
