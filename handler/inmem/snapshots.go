package inmem

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Snapshots is an in-memory domain.SnapshotStore with the blob adapter's
// naming and ETag rules. WriteCount counts every stored document and
// pointer update, so tests can assert that a run wrote nothing; Fail
// simulates an outage.
type Snapshots struct {
	mu     sync.Mutex
	docs   map[domain.AppRef]map[string]storedDoc
	latest map[domain.AppRef]storedPointer
	seq    int
	writes int
	fail   error
}

type storedDoc struct {
	snap domain.MetadataSnapshot
	data []byte
}

type storedPointer struct {
	data []byte
	etag string
}

var snapshotNameRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}\.xml$`)

// NewSnapshots returns an empty store.
func NewSnapshots() *Snapshots {
	return &Snapshots{docs: map[domain.AppRef]map[string]storedDoc{}, latest: map[domain.AppRef]storedPointer{}}
}

// Fail makes every later call return err (nil: heal).
func (s *Snapshots) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// WriteCount returns how many writes succeeded so far.
func (s *Snapshots) WriteCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

func (s *Snapshots) check(app domain.AppRef) error {
	if s.fail != nil {
		return s.fail
	}
	return app.Validate()
}

// Latest returns a copy of the pointer, or ENOTFOUND.
func (s *Snapshots) Latest(ctx context.Context, app domain.AppRef) (domain.LatestMetadata, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(app); err != nil {
		return domain.LatestMetadata{}, "", err
	}
	p, ok := s.latest[app]
	if !ok {
		return domain.LatestMetadata{}, "", domain.Errorf(domain.ENOTFOUND, "no metadata archived for %s", app)
	}
	var l domain.LatestMetadata
	if err := json.Unmarshal(p.data, &l); err != nil {
		return l, "", domain.Wrap(domain.EINTERNAL, err, "decode pointer")
	}
	return l, p.etag, nil
}

// SetLatest replaces the pointer under the same rules as the blob adapter.
func (s *Snapshots) SetLatest(ctx context.Context, app domain.AppRef, l domain.LatestMetadata, etag string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(app); err != nil {
		return "", err
	}
	cur, exists := s.latest[app]
	switch {
	case etag == "" && exists:
		return "", domain.Errorf(domain.ECONFLICT, "the latest metadata pointer of %s already exists", app)
	case etag != "" && (!exists || cur.etag != etag):
		return "", domain.Errorf(domain.ECONFLICT, "the latest metadata pointer of %s changed since it was read", app)
	}
	data, err := json.Marshal(l)
	if err != nil {
		return "", domain.Wrap(domain.EINTERNAL, err, "encode pointer")
	}
	s.seq++
	p := storedPointer{data: data, etag: `"` + strconv.Itoa(s.seq) + `"`}
	s.latest[app] = p
	s.writes++
	return p.etag, nil
}

// Put stores doc once per version (VersionDigest), as the blob adapter does.
func (s *Snapshots) Put(ctx context.Context, snap domain.MetadataSnapshot, doc []byte) (domain.MetadataSnapshot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(snap.App); err != nil {
		return snap, false, err
	}
	if len(snap.SHA256) != 64 {
		return snap, false, domain.Errorf(domain.EINTERNAL, "snapshot digest %q is not a SHA-256", snap.SHA256)
	}
	docs := s.docs[snap.App]
	if docs == nil {
		docs = map[string]storedDoc{}
		s.docs[snap.App] = docs
	}
	snap.Digest = snap.VersionDigest()
	for _, d := range docs {
		if d.snap.Digest == snap.Digest {
			return d.snap, false, nil
		}
	}
	if snap.FetchedAt.IsZero() {
		snap.FetchedAt = time.Now()
	}
	snap.FetchedAt = snap.FetchedAt.UTC()
	snap.Name = snap.FetchedAt.Format("20060102T150405Z") + "-" + snap.Digest[:16] + ".xml"
	snap.Size = int64(len(doc))
	// Round-trip through JSON like the blob adapter's metadata does.
	b, _ := json.Marshal(snap)
	var stored domain.MetadataSnapshot
	_ = json.Unmarshal(b, &stored)
	docs[snap.Name] = storedDoc{snap: stored, data: append([]byte(nil), doc...)}
	s.writes++
	return stored, true, nil
}

// History lists the app's snapshots, newest fetch first (by FetchedAt,
// never by name).
func (s *Snapshots) History(ctx context.Context, app domain.AppRef) ([]domain.MetadataSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(app); err != nil {
		return nil, err
	}
	var out []domain.MetadataSnapshot
	for _, d := range s.docs[app] {
		out = append(out, d.snap)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].FetchedAt.Equal(out[j].FetchedAt) {
			return out[i].FetchedAt.After(out[j].FetchedAt)
		}
		return out[i].Name > out[j].Name
	})
	return out, nil
}

// Document returns a copy of a stored document, or ENOTFOUND.
func (s *Snapshots) Document(ctx context.Context, app domain.AppRef, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(app); err != nil {
		return nil, err
	}
	if !snapshotNameRE.MatchString(name) {
		return nil, domain.FieldError("version", "%q is not a snapshot name like 20260101T020000Z-0123456789abcdef.xml", name)
	}
	d, ok := s.docs[app][name]
	if !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "no metadata snapshot %s for %s", name, app)
	}
	return append([]byte(nil), d.data...), nil
}
