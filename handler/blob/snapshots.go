package blob

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"regexp"
	"sort"
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

// Snapshots is the domain.SnapshotStore on blobs. Layout, per app:
//
//	{tenant}/{appId}/metadata/{yyyymmddThhmmssZ}-{digest[:16]}.xml   one per version, never overwritten
//	{tenant}/{appId}/metadata/latest.json                            the latest pointer (domain.LatestMetadata)
//
// A version is a distinct domain.MetadataSnapshot.VersionDigest (entityID,
// signing certificates, endpoints); its blob holds the bytes of its first
// download, whose SHA-256 is kept beside the digest. Each document blob
// carries its facts in blob metadata (digest, sha256, fetchedat, entityid,
// thumbprints, notafter, and the whole snapshot as base64 JSON in "facts")
// and in blob index tags (kind, tenant, appid, digest, sha256, thumbprints,
// notafter), so a storage query can find the snapshots holding a thumbprint.
type Snapshots struct{ s *Store }

// Snapshots returns the store's metadata snapshot store.
func (s *Store) Snapshots() *Snapshots { return &Snapshots{s: s} }

var _ domain.SnapshotStore = (*Snapshots)(nil)

// MetadataContentType is the media type of stored documents (RFC 7303 / SAML
// metadata); the same is served to Aircall.
const MetadataContentType = "application/samlmetadata+xml"

// maxSnapshotBytes bounds what is read back: stored documents are at most
// 1 MiB (fedmeta.MaxDocumentSize); pointers are small.
const maxSnapshotBytes = 2 << 20

var snapshotName = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}\.xml$`)

func prefixOf(app domain.AppRef) (string, error) {
	if err := app.Validate(); err != nil {
		return "", err
	}
	return app.Tenant + "/" + app.AppID + "/metadata/", nil
}

// Latest returns the pointer and its ETag, or ENOTFOUND.
func (m *Snapshots) Latest(ctx context.Context, app domain.AppRef) (domain.LatestMetadata, string, error) {
	p, err := prefixOf(app)
	if err != nil {
		return domain.LatestMetadata{}, "", err
	}
	resp, err := m.s.cc.NewBlockBlobClient(p+"latest.json").DownloadStream(ctx, nil)
	if err != nil {
		return domain.LatestMetadata{}, "", translate(err, "read the latest metadata pointer of %s", app)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSnapshotBytes))
	if err != nil {
		return domain.LatestMetadata{}, "", translate(err, "read the latest metadata pointer of %s", app)
	}
	var l domain.LatestMetadata
	if err := json.Unmarshal(b, &l); err != nil {
		return domain.LatestMetadata{}, "", domain.Wrap(domain.EINTERNAL, err,
			"blob: the latest metadata pointer %s%s is not valid JSON: delete it and the next archive run rewrites it", p, "latest.json")
	}
	return l, string(*resp.ETag), nil
}

// SetLatest writes the pointer: create-only when etag is "", else only over
// that version. A lost race is ECONFLICT.
func (m *Snapshots) SetLatest(ctx context.Context, app domain.AppRef, l domain.LatestMetadata, etag string) (string, error) {
	p, err := prefixOf(app)
	if err != nil {
		return "", err
	}
	if err := m.s.EnsureContainer(ctx); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return "", domain.Wrap(domain.EINTERNAL, err, "blob: encode the latest metadata pointer")
	}
	resp, err := m.s.cc.NewBlockBlobClient(p+"latest.json").Upload(ctx, nopSeekCloser(data), &blockblob.UploadOptions{
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: to.Ptr("application/json")},
		AccessConditions: ifETag(etag),
	})
	if err != nil {
		return "", translate(err, "update the latest metadata pointer of %s", app)
	}
	return string(*resp.ETag), nil
}

// Put stores doc once per version (VersionDigest): when the app's archive
// already holds that version it returns that snapshot and false. The blob
// is written with If-None-Match: * so nothing is ever overwritten.
func (m *Snapshots) Put(ctx context.Context, snap domain.MetadataSnapshot, doc []byte) (domain.MetadataSnapshot, bool, error) {
	p, err := prefixOf(snap.App)
	if err != nil {
		return snap, false, err
	}
	if len(snap.SHA256) != 64 || strings.Trim(snap.SHA256, "0123456789abcdef") != "" {
		return snap, false, domain.Errorf(domain.EINTERNAL, "blob: snapshot digest %q is not a lower-case hex SHA-256", snap.SHA256)
	}
	if err := m.s.EnsureContainer(ctx); err != nil {
		return snap, false, err
	}
	snap.Digest = snap.VersionDigest()
	history, err := m.History(ctx, snap.App)
	if err != nil {
		return snap, false, err
	}
	for _, h := range history {
		if h.Digest == snap.Digest {
			return h, false, nil
		}
	}
	if snap.FetchedAt.IsZero() {
		snap.FetchedAt = time.Now()
	}
	// Full precision: history is ordered by it, and versions fetched within
	// one second must keep their order (the name has seconds only).
	snap.FetchedAt = snap.FetchedAt.UTC()
	snap.Name = snap.FetchedAt.Format("20060102T150405Z") + "-" + snap.Digest[:16] + ".xml"
	snap.Size = int64(len(doc))
	_, err = m.s.cc.NewBlockBlobClient(p+snap.Name).Upload(ctx, nopSeekCloser(doc), &blockblob.UploadOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr(MetadataContentType)},
		Metadata:    snapshotMetadata(snap),
		Tags:        snapshotTags(snap),
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{
			IfNoneMatch: to.Ptr(azcore.ETagAny)}},
	})
	if bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet) {
		// Another run stored the same version in the same second: the
		// name holds the digest prefix, so it is this version.
		return snap, false, nil
	}
	if err != nil {
		return snap, false, translate(err, "store metadata snapshot %s%s", p, snap.Name)
	}
	return snap, true, nil
}

// History lists the app's snapshots from their blob metadata, newest fetch
// first (sortHistory).
func (m *Snapshots) History(ctx context.Context, app domain.AppRef) ([]domain.MetadataSnapshot, error) {
	p, err := prefixOf(app)
	if err != nil {
		return nil, err
	}
	var out []domain.MetadataSnapshot
	pager := m.s.cc.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{
		Prefix: to.Ptr(p), Include: container.ListBlobsInclude{Metadata: true},
	})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, translate(err, "list the metadata archive of %s", app)
		}
		for _, item := range page.Segment.BlobItems {
			name := strings.TrimPrefix(*item.Name, p)
			if !snapshotName.MatchString(name) {
				continue
			}
			out = append(out, snapshotFromMetadata(app, name, item.Metadata, item.Properties))
		}
	}
	sortHistory(out)
	return out, nil
}

// sortHistory orders snapshots newest fetch first, by FetchedAt and never
// by name: names have one-second resolution and then sort by digest, which
// would put versions of the same second in hash order.
func sortHistory(h []domain.MetadataSnapshot) {
	sort.SliceStable(h, func(i, j int) bool {
		if !h[i].FetchedAt.Equal(h[j].FetchedAt) {
			return h[i].FetchedAt.After(h[j].FetchedAt)
		}
		return h[i].Name > h[j].Name
	})
}

// Document returns a stored document's bytes, or ENOTFOUND.
func (m *Snapshots) Document(ctx context.Context, app domain.AppRef, name string) ([]byte, error) {
	p, err := prefixOf(app)
	if err != nil {
		return nil, err
	}
	if !snapshotName.MatchString(name) {
		return nil, domain.FieldError("version", "%q is not a snapshot name like 20260101T020000Z-0123456789abcdef.xml", name)
	}
	resp, err := m.s.cc.NewBlockBlobClient(p+name).DownloadStream(ctx, nil)
	if err != nil {
		return nil, translate(err, "read metadata snapshot %s", name)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSnapshotBytes))
	if err != nil {
		return nil, translate(err, "read metadata snapshot %s", name)
	}
	return b, nil
}

// snapshotMetadata is the blob metadata of a stored document. Values must be
// ASCII: subjects travel only inside the base64 "facts".
func snapshotMetadata(s domain.MetadataSnapshot) map[string]*string {
	md := map[string]*string{
		"digest":      to.Ptr(s.Digest),
		"sha256":      to.Ptr(s.SHA256),
		"fetchedat":   to.Ptr(s.FetchedAt.UTC().Format(time.RFC3339Nano)),
		"entityid":    to.Ptr(s.EntityID),
		"thumbprints": to.Ptr(strings.Join(s.Thumbprints(), ",")),
	}
	if na := earliestNotAfter(s); !na.IsZero() {
		md["notafter"] = to.Ptr(na.Format(time.RFC3339))
	}
	if facts, err := json.Marshal(s); err == nil && len(facts) <= 5<<10 {
		md["facts"] = to.Ptr(base64.StdEncoding.EncodeToString(facts))
	}
	return md
}

// snapshotTags are the blob index tags (at most 10; values of letters,
// digits, space and + - . / : = _ up to 256 characters).
func snapshotTags(s domain.MetadataSnapshot) map[string]string {
	tp := strings.Join(s.Thumbprints(), " ")
	if len(tp) > 256 {
		tp = tp[:256]
	}
	tags := map[string]string{
		"kind": "federation-metadata", "tenant": s.App.Tenant, "appid": s.App.AppID,
		"digest": s.Digest, "sha256": s.SHA256, "thumbprints": tp,
	}
	if na := earliestNotAfter(s); !na.IsZero() {
		tags["notafter"] = na.Format(time.RFC3339)
	}
	return tags
}

func earliestNotAfter(s domain.MetadataSnapshot) time.Time {
	var t time.Time
	for _, c := range s.Certificates {
		if t.IsZero() || c.NotAfter.Before(t) {
			t = c.NotAfter.UTC()
		}
	}
	return t
}

// snapshotFromMetadata rebuilds a snapshot from a listed blob: the full facts
// when present, else what the plain keys hold.
func snapshotFromMetadata(app domain.AppRef, name string, md map[string]*string, props *container.BlobProperties) domain.MetadataSnapshot {
	get := func(k string) string {
		for key, v := range md {
			if strings.EqualFold(key, k) && v != nil {
				return *v
			}
		}
		return ""
	}
	var s domain.MetadataSnapshot
	if raw, err := base64.StdEncoding.DecodeString(get("facts")); err == nil && len(raw) > 0 {
		_ = json.Unmarshal(raw, &s)
	}
	s.App, s.Name = app, name
	if s.SHA256 == "" {
		s.SHA256 = get("sha256")
	}
	if s.EntityID == "" {
		s.EntityID = get("entityid")
	}
	if s.FetchedAt.IsZero() {
		s.FetchedAt, _ = time.Parse(time.RFC3339Nano, get("fetchedat"))
	}
	if len(s.Certificates) == 0 && get("thumbprints") != "" {
		for _, tp := range strings.Split(get("thumbprints"), ",") {
			s.Certificates = append(s.Certificates, domain.CertificateFacts{Thumbprint: tp})
		}
	}
	if props != nil && props.ContentLength != nil {
		s.Size = *props.ContentLength
	}
	if s.Digest == "" {
		// Archived before versions had a digest: the same rule, from the facts.
		s.Digest = s.VersionDigest()
	}
	return s
}
