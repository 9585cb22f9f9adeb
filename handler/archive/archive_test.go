package archive_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

const (
	tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	appID  = "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"
)

var (
	t0    = time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	certA = fedmetatest.NewCert(fedmetatest.DefaultSubject, t0.AddDate(-1, 0, 0), t0.AddDate(2, 0, 0))
	certB = fedmetatest.NewCert(fedmetatest.DefaultSubject, t0.AddDate(0, 0, -1), t0.AddDate(3, 0, 0))
	app   = domain.AppRef{Tenant: tenant, AppID: appID}
)

// fakeEntra serves one federation metadata document at Entra's path; the
// test swaps the document or the status between runs.
type fakeEntra struct {
	mu     sync.Mutex
	doc    []byte
	status int
	hits   int
	srv    *httptest.Server
}

func newFakeEntra(t *testing.T, doc []byte) *fakeEntra {
	f := &fakeEntra{doc: doc, status: http.StatusOK}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.hits++
		if r.URL.Path != "/"+tenant+"/federationmetadata/2007-06/federationmetadata.xml" || r.URL.Query().Get("appid") != appID {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(f.status)
		_, _ = w.Write(f.doc)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEntra) serve(doc []byte, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.doc, f.status = doc, status
}

// sink records published events; fail makes Publish fail.
type sink struct {
	mu     sync.Mutex
	events []domain.Event
	fail   error
}

func (s *sink) Publish(ctx context.Context, evs []domain.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, evs...)
	return nil
}

func (s *sink) take() []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.events
	s.events = nil
	return out
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newJob(entra *fakeEntra, store domain.SnapshotStore, ev *sink, c *clock) *archive.Job {
	return &archive.Job{
		Apps:    archive.StaticApp(app),
		Fetcher: &fedmeta.Fetcher{Authority: entra.srv.URL, Attempts: 1},
		Keys:    fedmetatest.Trust(certA, certB),
		Store:   store, Events: ev, Now: c.Now,
	}
}

func doc(certs []*fedmetatest.Cert, signer *fedmetatest.Cert) []byte {
	return fedmetatest.Doc{Tenant: tenant, Certs: certs, Signer: signer}.MustBytes()
}

func blobStore(t *testing.T) domain.SnapshotStore {
	s, err := blob.New(blob.Options{ConnectionString: devtest.BlobConnectionString(t), Container: devtest.UniqueName("archive-")})
	if err != nil {
		t.Fatal(err)
	}
	return s.Snapshots()
}

var stores = []struct {
	name string
	new  func(t *testing.T) domain.SnapshotStore
}{
	{"inmem", func(*testing.T) domain.SnapshotStore { return inmem.NewSnapshots() }},
	{"azurite", blobStore},
}

// TestArchiveLifecycle: first archive, unchanged rerun, a new certificate,
// the switch to it, and a rollback to a version seen before.
func TestArchiveLifecycle(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			v1 := doc([]*fedmetatest.Cert{certA}, nil)
			entra := newFakeEntra(t, v1)
			store, ev, c := st.new(t), &sink{}, &clock{now: t0}
			job := newJob(entra, store, ev, c)

			r, err := job.Run(ctx, nil)
			if err != nil {
				t.Fatalf("first run: %v", err)
			}
			if !r.Stored || !r.PointerMoved || r.Previous != nil || len(ev.take()) != 0 {
				t.Fatalf("first run: stored=%v moved=%v previous=%v; want one snapshot, the pointer, no event", r.Stored, r.PointerMoved, r.Previous)
			}
			if r.Snapshot.SHA256 != fedmeta.SHA256Hex(v1) || r.Snapshot.Name == "" || len(r.Snapshot.Certificates) != 1 || !r.Snapshot.Certificates[0].SignsDocument {
				t.Fatalf("first snapshot %+v", r.Snapshot)
			}
			_, etag1, _ := store.Latest(ctx, app)

			c.now = t0.Add(24 * time.Hour)
			r, err = job.Run(ctx, nil)
			if err != nil || r.Stored || r.PointerMoved || len(r.Findings) != 0 || len(ev.take()) != 0 {
				t.Fatalf("unchanged rerun: %v stored=%v moved=%v findings=%d; want nothing written or sent", err, r.Stored, r.PointerMoved, len(r.Findings))
			}
			if _, etag, _ := store.Latest(ctx, app); etag != etag1 {
				t.Fatalf("unchanged rerun rewrote the pointer: etag %s → %s", etag1, etag)
			}
			assertHistory(t, store, 1)

			// A new (inactive) certificate appears.
			entra.serve(doc([]*fedmetatest.Cert{certA, certB}, certA), 200)
			c.now = t0.Add(48 * time.Hour)
			r, err = job.Run(ctx, nil)
			if err != nil || !r.Stored || !r.PointerMoved {
				t.Fatalf("rotation: %v stored=%v moved=%v", err, r.Stored, r.PointerMoved)
			}
			evs := ev.take()
			if len(evs) != 1 || evs[0].Type != "com.aircall-entra-sso.cert.changed.v1" || r.Findings[0].Severity != domain.SeverityWarning {
				t.Fatalf("rotation events %+v; want one cert.changed warning", evs)
			}
			if want := "signer=" + r.Snapshot.Certificates[0].Thumbprint; !strings.HasSuffix(r.Findings[0].State, want) {
				t.Fatalf("cert.changed state %q: want it to end with %s", r.Findings[0].State, want)
			}
			if len(r.Diff.Added) != 1 || r.Diff.Added[0].Thumbprint != r.Snapshot.Certificates[1].Thumbprint || len(r.Diff.Removed) != 0 {
				t.Fatalf("rotation diff %+v", r.Diff)
			}
			assertHistory(t, store, 2)

			// The new certificate becomes the active one.
			entra.serve(doc([]*fedmetatest.Cert{certA, certB}, certB), 200)
			r, err = job.Run(ctx, nil)
			if err != nil || !r.Stored || len(r.Findings) != 1 || r.Findings[0].Severity != domain.SeverityError || r.Diff.SignerAfter == r.Diff.SignerBefore {
				t.Fatalf("signer switch: %v %+v", err, r.Findings)
			}
			ev.take()

			// Back to the very first document: stored once, pointer moves.
			entra.serve(v1, 200)
			r, err = job.Run(ctx, nil)
			if err != nil || r.Stored || !r.PointerMoved || len(r.Findings) != 1 {
				t.Fatalf("rollback: %v stored=%v moved=%v findings=%d; want no new document, pointer moved, one event", err, r.Stored, r.PointerMoved, len(r.Findings))
			}
			if l, _, _ := store.Latest(ctx, app); l.Snapshot.SHA256 != fedmeta.SHA256Hex(v1) || l.Snapshot.FetchedAt != t0 {
				t.Fatalf("latest after rollback %+v; want the first snapshot as first archived", l.Snapshot)
			}
			assertHistory(t, store, 3)

			sum, err := job.Summary(ctx)
			if err != nil || len(sum.History) != 3 || sum.Latest == nil || sum.History[0].Changes == "" || sum.History[2].Changes != "" {
				t.Fatalf("summary %+v %v", sum, err)
			}
			got, name, err := job.Document(ctx, "")
			if err != nil || !bytes.Equal(got, v1) || name != sum.Latest.Name {
				t.Fatalf("latest document: %v %s; want the first document's bytes", err, name)
			}
		})
	}
}

func assertHistory(t *testing.T, s domain.SnapshotStore, n int) {
	t.Helper()
	h, err := s.History(context.Background(), app)
	if err != nil || len(h) != n {
		t.Fatalf("history has %d versions (%v), want %d", len(h), err, n)
	}
}

// TestExpiryThresholds walks the clock towards a certificate's expiry: each
// threshold alerts once, on the first run past it.
func TestExpiryThresholds(t *testing.T) {
	notAfter := t0.AddDate(0, 0, 61)
	cert := fedmetatest.NewCert(fedmetatest.DefaultSubject, t0.AddDate(-1, 0, 0), notAfter)
	days := func(d int) time.Time { return notAfter.Add(-time.Duration(d)*24*time.Hour + time.Hour) }
	tests := []struct {
		name       string
		thresholds []time.Duration
		runs       []time.Time
		want       []string // threshold states alerted, in order, "" for no alert
	}{
		{"default 60/30/7, daily from 61 days",
			nil,
			[]time.Time{days(61), days(60), days(59), days(30), days(29), days(7), days(6), days(1)},
			[]string{"", "60", "", "30", "", "7", "", ""}},
		{"first seen 5 days before: only the 7-day alert", nil, []time.Time{days(5), days(4)}, []string{"7", ""}},
		{"configured 10 days", []time.Duration{10 * 24 * time.Hour}, []time.Time{days(30), days(10), days(9)}, []string{"", "10", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entra := newFakeEntra(t, doc([]*fedmetatest.Cert{cert}, nil))
			store, ev, c := inmem.NewSnapshots(), &sink{}, &clock{}
			job := newJob(entra, store, ev, c)
			job.Keys = fedmetatest.Trust(cert)
			job.Thresholds = tt.thresholds
			for i, at := range tt.runs {
				c.now = at
				r, err := job.Run(context.Background(), nil)
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				evs := ev.take()
				got := ""
				if len(r.Findings) > 0 {
					f := r.Findings[0]
					if len(evs) != 1 || f.Kind != domain.FindingCertExpiring || f.Key != r.Snapshot.Certificates[0].Thumbprint || f.Severity != domain.SeverityWarning {
						t.Fatalf("run %d: findings %+v events %d", i, r.Findings, len(evs))
					}
					got = fmt.Sprint(f.Details["thresholdDays"])
				}
				if got != tt.want[i] {
					t.Errorf("run %d (%s before expiry): alerted %q, want %q", i, notAfter.Sub(at).Round(time.Hour), got, tt.want[i])
				}
			}
		})
	}
}

// TestEventFailureIsRetried: when the sink fails the pointer does not move,
// so the next run sends the same event (same id) again.
func TestEventFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	entra := newFakeEntra(t, doc([]*fedmetatest.Cert{certA}, nil))
	store, ev, c := inmem.NewSnapshots(), &sink{}, &clock{now: t0}
	job := newJob(entra, store, ev, c)
	if _, err := job.Run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	entra.serve(doc([]*fedmetatest.Cert{certA, certB}, certA), 200)
	ev.fail = domain.Errorf(domain.EUNAVAILABLE, "service bus down")
	if _, err := job.Run(ctx, nil); !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Fatalf("run with the sink down: got %v, want EUNAVAILABLE", err)
	}
	ev.fail = nil
	r, err := job.Run(ctx, nil)
	if err != nil || r.Stored || !r.PointerMoved || len(r.Findings) != 1 {
		t.Fatalf("retry: %v stored=%v moved=%v findings=%d; want the event again and the pointer moved, no second document", err, r.Stored, r.PointerMoved, len(r.Findings))
	}
	assertHistory(t, store, 2)
}

// TestInvalidMetadataWritesNothing: every refused document or failed fetch
// is a clear error, one metadata-invalid event, and no write at all.
func TestInvalidMetadataWritesNothing(t *testing.T) {
	valid := doc([]*fedmetatest.Cert{certA}, nil)
	body := bytes.TrimPrefix(valid, []byte{0xEF, 0xBB, 0xBF})
	decl := bytes.Index(body, []byte("?>")) + 2
	withDTD := append(append(append([]byte{}, body[:decl]...), `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>`...), body[decl:]...)
	tests := []struct {
		name    string
		doc     []byte
		status  int
		code    domain.Code
		problem fedmeta.Problem
	}{
		{"DTD", withDTD, 200, domain.EUPSTREAM, fedmeta.ProblemDTD},
		{"entity expansion without DTD", bytes.Replace(body, []byte("saml2\""), []byte("&b;\""), 1), 200, domain.EUPSTREAM, fedmeta.ProblemMalformed},
		{"truncated", valid[:len(valid)-40], 200, domain.EUPSTREAM, fedmeta.ProblemMalformed},
		{"10 MiB", bytes.Repeat([]byte(" "), 10<<20), 200, domain.EUPSTREAM, fedmeta.ProblemTooLarge},
		{"wrong entityID", fedmetatest.Doc{Tenant: tenant, EntityID: "https://sts.windows.net/common/", Certs: []*fedmetatest.Cert{certA}}.MustBytes(), 200, domain.EUPSTREAM, fedmeta.ProblemEntityID},
		{"no signing certificate", fedmetatest.Doc{Tenant: tenant, Signer: certA}.MustBytes(), 200, domain.EUPSTREAM, fedmeta.ProblemNoCertificate},
		{"bad signature", bytes.Replace(valid, []byte("/saml2\""), []byte("/saml3\""), 1), 200, domain.EUPSTREAM, fedmeta.ProblemSignature},
		{"unsigned", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, Unsigned: true}.MustBytes(), 200, domain.EUPSTREAM, fedmeta.ProblemUnsigned},
		{"unknown appid (404)", []byte("AADSTS700016"), 404, domain.ENOTFOUND, fedmeta.ProblemHTTPStatus}, // domain.FromStatus: 404 is ENOTFOUND for every upstream
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entra := newFakeEntra(t, tt.doc)
			entra.status = tt.status
			store, ev := inmem.NewSnapshots(), &sink{}
			_, err := newJob(entra, store, ev, &clock{now: t0}).Run(context.Background(), nil)
			if !domain.IsCode(err, tt.code) || fedmeta.ProblemOf(err) != tt.problem {
				t.Fatalf("got %v (code %s, problem %s), want %s/%s", err, domain.ErrorCode(err), fedmeta.ProblemOf(err), tt.code, tt.problem)
			}
			if store.WriteCount() != 0 {
				t.Fatalf("%d writes, want none", store.WriteCount())
			}
			evs := ev.take()
			if len(evs) != 1 || evs[0].Type != "com.aircall-entra-sso.metadata.invalid.v1" {
				t.Fatalf("events %+v; want one metadata.invalid", evs)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	entra := newFakeEntra(t, nil)
	entra.srv.Close()
	store, ev := inmem.NewSnapshots(), &sink{}
	_, err := newJob(entra, store, ev, &clock{now: t0}).Run(context.Background(), nil)
	if !domain.IsCode(err, domain.EUNAVAILABLE) || fedmeta.ProblemOf(err) != fedmeta.ProblemUnreachable || store.WriteCount() != 0 || len(ev.take()) != 1 {
		t.Fatalf("got %v; want EUNAVAILABLE, one event, no write", err)
	}
}

func TestStorageDownBeforeAnything(t *testing.T) {
	entra := newFakeEntra(t, doc([]*fedmetatest.Cert{certA}, nil))
	store, ev := inmem.NewSnapshots(), &sink{}
	store.Fail(domain.Errorf(domain.EUNAVAILABLE, "blob: storage unreachable"))
	_, err := newJob(entra, store, ev, &clock{now: t0}).Run(context.Background(), nil)
	if !domain.IsCode(err, domain.EUNAVAILABLE) || len(ev.take()) != 0 {
		t.Fatalf("got %v; want EUNAVAILABLE and no event", err)
	}
}

// quickRetries keeps a stopped Azurite from costing the SDK's default
// back-off (seconds) in tests.
var quickRetries = &service.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond}}}
