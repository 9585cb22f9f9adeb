package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// outboxPrefix is where undelivered remediation events wait.
const outboxPrefix = "outbox/"

// Outbox is the domain.EventOutbox on blobs "outbox/<UTC time>-<random>.json",
// each a JSON array of CloudEvents. Names sort by creation time, so a listing
// is oldest first.
type Outbox struct {
	s   *Store
	now func() time.Time
}

var _ domain.EventOutbox = (*Outbox)(nil)

// Outbox returns the store's event outbox.
func (s *Store) Outbox() *Outbox { return &Outbox{s: s, now: time.Now} }

// outboxEntry is the document of one entry.
type outboxEntry struct {
	Version int            `json:"version"`
	Events  []domain.Event `json:"events"`
}

// Put writes events as one new entry. The name never collides: a time to the
// nanosecond plus 8 random hex characters, written create-only.
func (o *Outbox) Put(ctx context.Context, events []domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := o.s.EnsureContainer(ctx); err != nil {
		return err
	}
	doc, err := json.Marshal(outboxEntry{Version: 1, Events: events})
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "outbox: encode %d events", len(events))
	}
	r := make([]byte, 4)
	_, _ = rand.Read(r)
	key := o.now().UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(r)
	_, err = o.s.cc.NewBlockBlobClient(outboxPrefix+key+".json").UploadBuffer(ctx, doc, &blockblob.UploadBufferOptions{
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: to.Ptr("application/json")},
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}},
	})
	if err != nil {
		return translate(err, "write %d undelivered events to the outbox", len(events))
	}
	return nil
}

// Pending lists entry keys, oldest first.
func (o *Outbox) Pending(ctx context.Context) ([]string, error) {
	var keys []string
	pager := o.s.cc.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: to.Ptr(outboxPrefix)})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			if bloberror.HasCode(err, bloberror.ContainerNotFound) {
				return nil, nil // nothing was ever set aside
			}
			return nil, translate(err, "list the event outbox")
		}
		for _, item := range page.Segment.BlobItems {
			name := strings.TrimSuffix(strings.TrimPrefix(*item.Name, outboxPrefix), ".json")
			keys = append(keys, name)
		}
	}
	return keys, nil // the service lists names in lexical order: oldest first
}

// Load returns the events of an entry, or ENOTFOUND.
func (o *Outbox) Load(ctx context.Context, key string) ([]domain.Event, error) {
	bb, err := o.blob(key)
	if err != nil {
		return nil, err
	}
	resp, err := bb.DownloadStream(ctx, nil)
	if err != nil {
		return nil, translate(err, "read outbox entry %q", key)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, 64<<20)); err != nil {
		return nil, translate(err, "read outbox entry %q", key)
	}
	var doc outboxEntry
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return nil, domain.Wrap(domain.EINTERNAL, err, "outbox entry %q is not an event list: move it out of %s in container %q and look at it", key, outboxPrefix, o.s.container)
	}
	return doc.Events, nil
}

// Remove deletes an entry; an entry already gone is not an error.
func (o *Outbox) Remove(ctx context.Context, key string) error {
	bb, err := o.blob(key)
	if err != nil {
		return err
	}
	if _, err := bb.Delete(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound) {
		return translate(err, "remove delivered outbox entry %q", key)
	}
	return nil
}

func (o *Outbox) blob(key string) (*blockblob.Client, error) {
	if key == "" || strings.ContainsAny(key, "/\\\x00") || strings.Contains(key, "..") {
		return nil, domain.Errorf(domain.EINVALID, "outbox: invalid entry key %q", key)
	}
	return o.s.cc.NewBlockBlobClient(fmt.Sprintf("%s%s.json", outboxPrefix, key)), nil
}
