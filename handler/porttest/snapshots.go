package porttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

var snapshotNameRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}\.xml$`)

// SnapshotStore checks a domain.SnapshotStore: ENOTFOUND before the first
// archive, each version (VersionDigest) stored once under a timestamped
// name holding its digest — a download differing only in its bytes is the
// same version —, facts that survive the round trip, history newest fetch
// first (never by name) and per app, the latest pointer's create-only and If-Match rules,
// and EINVALID for unusable app references and snapshot names.
func SnapshotStore(t *testing.T, newStore func(t *testing.T) domain.SnapshotStore) {
	ctx := context.Background()
	s := newStore(t)
	app := domain.AppRef{Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", AppID: "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"}
	other := domain.AppRef{Tenant: app.Tenant, AppID: "11111111-2222-3333-4444-555555555555"}

	if _, _, err := s.Latest(ctx, app); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("latest before any archive: got %v, want ENOTFOUND", err)
	}
	if h, err := s.History(ctx, app); err != nil || len(h) != 0 {
		t.Fatalf("history before any archive: %v, %v; want empty", h, err)
	}

	t1 := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	docA, docB := []byte("<EntityDescriptor>A</EntityDescriptor>"), []byte("<EntityDescriptor>B</EntityDescriptor>")
	a, created, err := s.Put(ctx, snap(app, docA, t1, "AAAA"), docA)
	if err != nil || !created {
		t.Fatalf("first put: created=%v err=%v", created, err)
	}
	if !snapshotNameRE.MatchString(a.Name) || a.Digest != a.VersionDigest() || a.Name != "20260601T020000Z-"+a.Digest[:16]+".xml" {
		t.Fatalf("name %q digest %q: want {yyyymmddThhmmssZ}-{digest[:16]}.xml", a.Name, a.Digest)
	}
	again, created, err := s.Put(ctx, snap(app, docA, t1.Add(24*time.Hour), "AAAA"), docA)
	if err != nil || created || again.Name != a.Name {
		t.Fatalf("same document again: created=%v name=%q err=%v; want no write and the first name %q", created, again.Name, err, a.Name)
	}
	// A fresh ID and signature, the same facts: the same version.
	docA2 := []byte("<EntityDescriptor ID='_2'>A</EntityDescriptor>")
	again, created, err = s.Put(ctx, snap(app, docA2, t1.Add(36*time.Hour), "AAAA"), docA2)
	if err != nil || created || again.Name != a.Name || again.SHA256 != a.SHA256 {
		t.Fatalf("same facts, other bytes: created=%v name=%q err=%v; want no write and the first version %q", created, again.Name, err, a.Name)
	}
	b, created, err := s.Put(ctx, snap(app, docB, t1.Add(48*time.Hour), "BBBB"), docB)
	if err != nil || !created {
		t.Fatalf("second document: created=%v err=%v", created, err)
	}
	if got, err := s.Document(ctx, app, a.Name); err != nil || string(got) != string(docA) {
		t.Fatalf("document %s = %q, %v", a.Name, got, err)
	}
	h, err := s.History(ctx, app)
	if err != nil || len(h) != 2 {
		t.Fatalf("history: %d entries, %v; want 2", len(h), err)
	}
	if h[0].Name != b.Name || h[1].Name != a.Name {
		t.Fatalf("history order %s, %s; want newest first", h[0].Name, h[1].Name)
	}
	got := h[0]
	if got.SHA256 != b.SHA256 || got.Size != int64(len(docB)) || !got.FetchedAt.Equal(t1.Add(48*time.Hour)) ||
		got.EntityID != b.EntityID || len(got.Certificates) != 1 || got.Certificates[0] != b.Certificates[0] ||
		got.SingleSignOnURLs["post"] != "https://login.microsoftonline.com/x/saml2" || got.App != app {
		t.Fatalf("facts did not survive the round trip:\n got  %+v\n want %+v", got, b)
	}
	if h, err := s.History(ctx, other); err != nil || len(h) != 0 {
		t.Fatalf("another app's history: %v, %v; want empty", h, err)
	}

	l := domain.LatestMetadata{Snapshot: a, ExpiryAlerts: map[string]int{"AAAA": 30}}
	e1, err := s.SetLatest(ctx, app, l, "")
	if err != nil {
		t.Fatalf("create pointer: %v", err)
	}
	if _, err := s.SetLatest(ctx, app, l, ""); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("second create of pointer: got %v, want ECONFLICT", err)
	}
	l.Snapshot = b
	e2, err := s.SetLatest(ctx, app, l, e1)
	if err != nil || e2 == e1 {
		t.Fatalf("move pointer with current etag: %q %v", e2, err)
	}
	if _, err := s.SetLatest(ctx, app, l, e1); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("move pointer with stale etag: got %v, want ECONFLICT", err)
	}
	cur, etag, err := s.Latest(ctx, app)
	if err != nil || etag != e2 || cur.Snapshot.Name != b.Name || cur.ExpiryAlerts["AAAA"] != 30 {
		t.Fatalf("latest = %+v %q %v; want snapshot %s, etag %q, alerts kept", cur, etag, err, b.Name, e2)
	}

	sameSecond(t, s, t1)

	if _, err := s.Document(ctx, app, "20990101T000000Z-0000000000000000.xml"); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("absent document: got %v, want ENOTFOUND", err)
	}
	if _, err := s.Document(ctx, app, "../latest.json"); !domain.IsCode(err, domain.EINVALID) {
		t.Fatalf("bad document name: got %v, want EINVALID", err)
	}
	if _, err := s.History(ctx, domain.AppRef{Tenant: "../x", AppID: app.AppID}); !domain.IsCode(err, domain.EINVALID) {
		t.Fatalf("bad tenant: got %v, want EINVALID", err)
	}
}

// sameSecond stores three versions within one second, in the order that
// sorts their names (same second, then digest) oldest-first: history must
// still list them newest fetch first.
func sameSecond(t *testing.T, s domain.SnapshotStore, at time.Time) {
	t.Helper()
	ctx := context.Background()
	app := domain.AppRef{Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", AppID: "22222222-3333-4444-5555-666666666666"}
	var snaps []domain.MetadataSnapshot
	for _, tp := range []string{"XXXX", "YYYY", "ZZZZ"} {
		doc := []byte("<EntityDescriptor>" + tp + "</EntityDescriptor>")
		snaps = append(snaps, snap(app, doc, at, tp))
	}
	// Fetch the largest digest first: by name, the first fetched would be newest.
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].VersionDigest() > snaps[j].VersionDigest() })
	var want []string
	for i, sn := range snaps {
		sn.FetchedAt = at.Add(time.Duration(i+1) * 100 * time.Millisecond)
		got, created, err := s.Put(ctx, sn, []byte("<EntityDescriptor>"+sn.Certificates[0].Thumbprint+"</EntityDescriptor>"))
		if err != nil || !created {
			t.Fatalf("put version %d: %v %v", i, created, err)
		}
		want = append([]string{got.Name}, want...)
	}
	h, err := s.History(ctx, app)
	if err != nil || len(h) != 3 {
		t.Fatalf("history of three versions in one second: %d, %v", len(h), err)
	}
	for i := range h {
		if h[i].Name != want[i] {
			t.Fatalf("history %d is %s, want %s: three versions fetched within one second must list newest fetch first, not in name (hash) order", i, h[i].Name, want[i])
		}
	}
}

func snap(app domain.AppRef, doc []byte, at time.Time, thumb string) domain.MetadataSnapshot {
	sum := sha256.Sum256(doc)
	return domain.MetadataSnapshot{
		App: app, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(doc)), FetchedAt: at,
		EntityID:         "https://sts.windows.net/" + app.Tenant + "/",
		SingleSignOnURLs: map[string]string{"post": "https://login.microsoftonline.com/x/saml2"},
		Certificates: []domain.CertificateFacts{{Thumbprint: thumb, SHA256: thumb + "00", Subject: "CN=Microsoft Azure Federated SSO Certificate",
			NotBefore: at.AddDate(-1, 0, 0), NotAfter: at.AddDate(2, 0, 0), SignsDocument: true}},
	}
}
