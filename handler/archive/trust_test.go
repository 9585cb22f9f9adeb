package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// simJob is the archive job against the Graph simulator: its login
// authority serves the metadata, its Graph the service principal's keys
// (through the lean REST client, as in production).
func simJob(t *testing.T, store domain.SnapshotStore, ev *sink) (*archive.Job, *graphsim.Server, graphsim.AppInfo) {
	t.Helper()
	sim := graphsim.Start(t, graphsim.Options{Seed: 7, Mix: graphsim.Mix{App: true}})
	app := sim.Tenant().Apps()[0]
	keys, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential()})
	if err != nil {
		t.Fatal(err)
	}
	return &archive.Job{
		Apps:    archive.StaticApp{Tenant: sim.TenantID(), AppID: app.AppID},
		Fetcher: &fedmeta.Fetcher{Authority: sim.URL(), Attempts: 1},
		Keys:    keys, Store: store, Events: ev,
	}, sim, app
}

// TestForgedMetadataRefused: a self-consistent forgery (the attacker's key in
// KeyInfo and in the KeyDescriptors, their SSO URL) served by the simulator's
// login authority, and a redirect to another host serving it, are each one
// metadata.invalid event naming the reason; nothing is archived and the
// latest XML stays the genuine document.
func TestForgedMetadataRefused(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			store, ev := st.new(t), &sink{}
			job, sim, _ := simJob(t, store, ev)
			if _, err := job.Run(ctx, nil); err != nil {
				t.Fatalf("genuine first run: %v", err)
			}
			genuine, version, err := job.Document(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			_, etag, _ := store.Latest(ctx, app0(job))

			var attackerHits atomic.Int32
			attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				attackerHits.Add(1)
				_, _ = w.Write(genuine)
			}))
			defer attacker.Close()
			cases := []struct {
				name    string
				forgery graphsim.MetadataForgery
				problem fedmeta.Problem
			}{
				{"forged document", graphsim.MetadataForgery{}, fedmeta.ProblemUntrustedSigner},
				{"forged document listing the genuine certificates too", graphsim.MetadataForgery{ListGenuine: true}, fedmeta.ProblemUntrustedSigner},
				{"redirect to another host", graphsim.MetadataForgery{RedirectTo: attacker.URL}, fedmeta.ProblemRedirect},
			}
			for _, c := range cases {
				sim.Tenant().ForgeMetadata(&c.forgery)
				_, err := job.Run(ctx, nil)
				if fedmeta.ProblemOf(err) != c.problem || !domain.IsCode(err, domain.EUPSTREAM) {
					t.Fatalf("%s: got %v (problem %q), want EUPSTREAM %s", c.name, err, fedmeta.ProblemOf(err), c.problem)
				}
				evs := ev.take()
				if len(evs) != 1 || evs[0].Type != "com.aircall-entra-sso.metadata.invalid.v1" {
					t.Fatalf("%s: events %+v, want one metadata.invalid", c.name, evs)
				}
				var data struct {
					State   string         `json:"state"`
					Details map[string]any `json:"details"`
				}
				if err := json.Unmarshal(evs[0].Data, &data); err != nil || data.Details["problem"] != string(c.problem) || data.State != "problem="+string(c.problem) {
					t.Fatalf("%s: event data %s (%v)", c.name, evs[0].Data, err)
				}
				assertHistoryOf(t, store, app0(job), 1)
				if _, e, _ := store.Latest(ctx, app0(job)); e != etag {
					t.Fatalf("%s: the latest pointer moved", c.name)
				}
				got, v, err := job.Document(ctx, "")
				if err != nil || v != version || !bytes.Equal(got, genuine) || bytes.Contains(got, []byte("attacker")) {
					t.Fatalf("%s: GET /api/metadata?format=xml would serve version %s (%v), want the genuine %s", c.name, v, err, version)
				}
			}
			if attackerHits.Load() != 0 {
				t.Errorf("the redirect was followed to the other host (%d requests)", attackerHits.Load())
			}
			sim.Tenant().ForgeMetadata(nil)
			if r, err := job.Run(ctx, nil); err != nil || r.Stored || r.PointerMoved {
				t.Fatalf("healed: %v; want the genuine version again, nothing written", err)
			}
		})
	}
}

func assertHistoryOf(t *testing.T, s domain.SnapshotStore, ref domain.AppRef, n int) {
	t.Helper()
	h, err := s.History(context.Background(), ref)
	if err != nil || len(h) != n {
		t.Fatalf("history has %d versions (%v), want %d", len(h), err, n)
	}
}

func app0(j *archive.Job) domain.AppRef { return domain.AppRef(j.Apps.(archive.StaticApp)) }

// TestGraphUnavailableWritesNothing: without Graph's keys nothing can be
// trusted: the run fails naming them, writes nothing and judges no document.
func TestGraphUnavailableWritesNothing(t *testing.T) {
	entra := newFakeEntra(t, doc([]*fedmetatest.Cert{certA}, nil))
	store, ev := inmem.NewSnapshots(), &sink{}
	job := newJob(entra, store, ev, &clock{now: t0})
	job.Keys = &fedmetatest.StaticKeys{Err: domain.Errorf(domain.EUNAVAILABLE, "graph: unreachable")}
	_, err := job.Run(context.Background(), nil)
	if !domain.IsCode(err, domain.EUNAVAILABLE) || !strings.Contains(err.Error(), "signing keys") || store.WriteCount() != 0 || len(ev.take()) != 0 {
		t.Fatalf("got %v; want EUNAVAILABLE naming the signing keys, no write, no event", err)
	}
}

// TestVersionsAreWhatMatters: the simulator serves a fresh ID and signature
// on every download; reruns write nothing, a rotation is one new version.
func TestVersionsAreWhatMatters(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			store, ev := st.new(t), &sink{}
			job, sim, app := simJob(t, store, ev)
			first, err := job.Run(ctx, nil)
			if err != nil || !first.Stored {
				t.Fatalf("first run: %v", err)
			}
			_, etag, _ := store.Latest(ctx, app0(job))
			for i := 0; i < 2; i++ {
				r, err := job.Run(ctx, nil)
				if err != nil || r.Stored || r.PointerMoved || len(r.Findings) != 0 || r.Snapshot.Name != first.Snapshot.Name {
					t.Fatalf("rerun %d (a fresh ID and signature): %v stored=%v moved=%v; want the same version, nothing written", i, err, r.Stored, r.PointerMoved)
				}
			}
			if _, e, _ := store.Latest(ctx, app0(job)); e != etag {
				t.Fatal("a rerun rewrote the latest pointer")
			}
			assertHistoryOf(t, store, app0(job), 1)
			if _, err := sim.Tenant().RotateSigningCertificate(app.AppID); err != nil {
				t.Fatal(err)
			}
			r, err := job.Run(ctx, nil)
			if err != nil || !r.Stored || r.Diff == nil || len(r.Diff.Added) != 1 {
				t.Fatalf("after rotation: %v stored=%v", err, r.Stored)
			}
			assertHistoryOf(t, store, app0(job), 2)
		})
	}
}

// TestHistoryByFetchTime: three versions archived within one second are
// listed newest first and each one's changes read forward in time.
func TestHistoryByFetchTime(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			entra := newFakeEntra(t, doc([]*fedmetatest.Cert{certA}, nil))
			store, ev, c := st.new(t), &sink{}, &clock{now: t0}
			job := newJob(entra, store, ev, c)
			steps := [][]byte{
				doc([]*fedmetatest.Cert{certA}, nil),
				doc([]*fedmetatest.Cert{certA, certB}, certA),
				doc([]*fedmetatest.Cert{certA, certB}, certB),
			}
			for i, d := range steps {
				entra.serve(d, 200)
				c.now = t0.Add(time.Duration(i) * 300 * time.Millisecond)
				if r, err := job.Run(ctx, nil); err != nil || !r.Stored {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			sum, err := job.Summary(ctx)
			if err != nil || len(sum.History) != 3 {
				t.Fatalf("summary: %v", err)
			}
			for i, h := range sum.History {
				if len(h.Digest) != 64 || h.Digest == h.SHA256 {
					t.Fatalf("history[%d] digest %q sha256 %q: want the version digest beside the bytes' SHA-256", i, h.Digest, h.SHA256)
				}
				if want := t0.Add(time.Duration(2-i) * 300 * time.Millisecond); !h.FetchedAt.Equal(want) {
					t.Fatalf("history[%d] fetched at %s, want %s: newest fetch first", i, h.FetchedAt.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
				}
			}
			b := fedmeta.CertificateFactsOf(certB.Cert).Thumbprint
			a := fedmeta.CertificateFactsOf(certA.Cert).Thumbprint
			if !strings.Contains(sum.History[0].Changes, "signing certificate in use: "+a+" → "+b) || !strings.Contains(sum.History[1].Changes, "+ certificate "+b) {
				t.Fatalf("changes read backwards:\n[0] %s\n[1] %s", sum.History[0].Changes, sum.History[1].Changes)
			}
		})
	}
}
