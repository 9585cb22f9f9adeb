package diagnose_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// tenant: ann (UPN ≠ mail, direct), bob (fine, via group), cy (nested group
// only), dee (guest), eve (disabled, no mail).
func tenant(src domain.ClaimSource) *inmem.Directory {
	d := inmem.NewDirectory()
	d.PutUser(domain.User{ID: "a", UserPrincipalName: "ann@contoso.com", Mail: "ann.smith@contoso.com", AccountEnabled: true, UserType: "Member"})
	d.PutUser(domain.User{ID: "b", UserPrincipalName: "bob@contoso.com", Mail: "Bob@contoso.com", AccountEnabled: true, UserType: "Member"})
	d.PutUser(domain.User{ID: "c", UserPrincipalName: "cy@contoso.com", Mail: "cy@contoso.com", AccountEnabled: true, UserType: "Member"})
	d.PutUser(domain.User{ID: "d", UserPrincipalName: "dee_fabrikam.com#EXT#@contoso.onmicrosoft.com", Mail: "dee@fabrikam.com", AccountEnabled: true, UserType: "Guest"})
	d.PutUser(domain.User{ID: "e", UserPrincipalName: "eve@contoso.com", AccountEnabled: false, UserType: "Member"})
	d.AssignUser("a")
	d.AssignUser("d")
	d.AssignUser("e")
	d.PutGroup("g1", "Aircall users", "b", "g2")
	d.PutGroup("g2", "Support", "c")
	d.AssignGroup("g1")
	origin := domain.ClaimOriginClaimsPolicy
	d.SetEmailClaim(domain.ClaimConfig{Source: src, Origin: origin})
	return d
}

func job(dir domain.UserDirectory, s domain.EventSink) *diagnose.Job {
	return &diagnose.Job{Directory: dir, Events: s, Now: func() time.Time { return now }}
}

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name       string
		src        domain.ClaimSource
		user       string
		verdict    diagnose.Verdict
		emailClaim string
		kinds      []domain.FindingKind // the events enqueued, in order
		text       []string             // in the ticket comment
	}{
		{"the help article's case: claim from mail", domain.ClaimFromMail, "ann@contoso.com", diagnose.VerdictBlocked, "ann.smith@contoso.com",
			[]domain.FindingKind{domain.FindingUPNMismatch},
			[]string{"sign-in fails", `Aircall receives the email "ann.smith@contoso.com"`, "user.userprincipalname"}},
		{"found by mail, claim from UPN", domain.ClaimFromUPN, "Ann.Smith@contoso.com", diagnose.VerdictAtRisk, "ann@contoso.com",
			[]domain.FindingKind{domain.FindingUPNMismatch},
			[]string{`Aircall receives the email "ann@contoso.com"`, "change its email in Aircall"}},
		{"fine through a direct group", domain.ClaimFromUPN, "bob@contoso.com", diagnose.VerdictOK, "bob@contoso.com", nil,
			[]string{"nothing in Entra ID stops this sign-in", `"bob@contoso.com"`}},
		{"only through a nested group", domain.ClaimFromUPN, "cy@contoso.com", diagnose.VerdictBlocked, "cy@contoso.com",
			[]domain.FindingKind{domain.FindingUserNotAssigned}, []string{"nested group"}},
		{"guest with claim from UPN", domain.ClaimFromUPN, "dee@fabrikam.com", diagnose.VerdictBlocked, "dee_fabrikam.com#EXT#@contoso.onmicrosoft.com",
			[]domain.FindingKind{domain.FindingGuestUPN}, []string{"#EXT#"}},
		{"disabled, no mail, claim from mail", domain.ClaimFromMail, "eve@contoso.com", diagnose.VerdictBlocked, "",
			[]domain.FindingKind{domain.FindingUserDisabled, domain.FindingMailMissing}, []string{"disabled", "Aircall receives no email claim"}},
		{"unknown user", domain.ClaimFromUPN, "ghost@contoso.com", diagnose.VerdictNotFound, "",
			[]domain.FindingKind{domain.FindingUserNotFound}, []string{"no such user in Entra ID", `"ghost@contoso.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := inmem.NewEventSink()
			d, err := job(tenant(tt.src), s).Diagnose(context.Background(), diagnose.Request{User: tt.user, Ticket: "ZD-123", Source: "zendesk"})
			if err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + d.Text)
			if d.Verdict != tt.verdict || d.Facts.EmailClaim != tt.emailClaim {
				t.Fatalf("verdict %s, emailClaim %q; want %s, %q\n%s", d.Verdict, d.Facts.EmailClaim, tt.verdict, tt.emailClaim, d.Text)
			}
			if !strings.HasPrefix(d.Text, "Aircall SSO check for "+tt.user+" (ZD-123)") {
				t.Errorf("text does not start with the user and ticket:\n%s", d.Text)
			}
			for _, w := range tt.text {
				if !strings.Contains(d.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, d.Text)
				}
			}
			if len(s.Events()) != len(tt.kinds) || len(d.Enqueued) != len(tt.kinds) {
				t.Fatalf("enqueued %d events (%v), want %v", len(s.Events()), d.Enqueued, tt.kinds)
			}
			for i, e := range s.Events() {
				var data domain.EventData
				if err := json.Unmarshal(e.Data, &data); err != nil {
					t.Fatal(err)
				}
				who := tt.user
				if d.Facts.Exists {
					who = d.Facts.UserPrincipalName
				}
				if data.Kind != tt.kinds[i] || data.Ticket != "ZD-123" || e.Subject != "ticket/ZD-123/user/"+who || e.ID != d.Enqueued[i] {
					t.Errorf("event %d: kind %s ticket %q subject %q; want %s, ZD-123, ticket/ZD-123/user/%s", i, data.Kind, data.Ticket, e.Subject, tt.kinds[i], who)
				}
				if data.Kind != domain.FindingUserNotFound && data.EmailClaim != tt.emailClaim {
					t.Errorf("event %d carries emailClaim %q, want %q", i, data.EmailClaim, tt.emailClaim)
				}
			}
		})
	}
}

func TestDryRunEnqueuesNothing(t *testing.T) {
	s := inmem.NewEventSink()
	d, err := job(tenant(domain.ClaimFromMail), s).Diagnose(context.Background(), diagnose.Request{User: "ann@contoso.com", Ticket: "T-1", DryRun: true})
	if err != nil || d.Verdict != diagnose.VerdictBlocked || len(s.Events()) != 0 || len(d.Enqueued) != 0 {
		t.Fatalf("dry run: %v %v, %d events", d, err, len(s.Events()))
	}
}

// The same ticket asked twice yields the same event ids, so Service Bus
// duplicate detection drops the repeat; another ticket yields new ones.
func TestEventIdentity(t *testing.T) {
	s := inmem.NewEventSink()
	j := job(tenant(domain.ClaimFromMail), s)
	ask := func(ticket string) []string {
		d, err := j.Diagnose(context.Background(), diagnose.Request{User: "ann@contoso.com", Ticket: ticket})
		if err != nil {
			t.Fatal(err)
		}
		return d.Enqueued
	}
	a, b, c := ask("T-1"), ask("T-1"), ask("T-2")
	if a[0] != b[0] || a[0] == c[0] {
		t.Fatalf("event ids: T-1 %v, T-1 again %v, T-2 %v", a, b, c)
	}
}

func TestAppChecks(t *testing.T) {
	drift := domain.Finding{Kind: domain.FindingAppDrift, Severity: domain.SeverityError, Key: "app-1", State: "claim=mail",
		Summary: "The emailaddress claim comes from user.mail, not user.userprincipalname.", Remedy: "Run handler provision."}
	s := inmem.NewEventSink()
	j := job(tenant(domain.ClaimFromUPN), s)
	j.Checks = map[string]domain.AppCheck{
		"appDrift":    func(context.Context) ([]domain.Finding, error) { return []domain.Finding{drift}, nil },
		"certificate": func(context.Context) ([]domain.Finding, error) { return nil, errors.New("blob unreachable") },
	}
	d, err := j.Diagnose(context.Background(), diagnose.Request{User: "bob@contoso.com", Ticket: "T-9"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Verdict != diagnose.VerdictBlocked || !strings.Contains(d.Text, "Run handler provision.") {
		t.Fatalf("app drift not in the diagnosis: %s\n%s", d.Verdict, d.Text)
	}
	want := []diagnose.CheckResult{{Name: "appDrift", Status: "problem"}, {Name: "certificate", Status: "failed", Detail: "internal error"}}
	if len(d.Facts.AppChecks) != 2 || d.Facts.AppChecks[0].Name != want[0].Name || d.Facts.AppChecks[0].Status != want[0].Status ||
		d.Facts.AppChecks[1] != want[1] {
		t.Fatalf("app checks = %+v, want %+v", d.Facts.AppChecks, want)
	}
	if len(s.Events()) != 1 || s.Events()[0].Subject != "ticket/T-9/user/bob@contoso.com" || s.Events()[0].Type != domain.EventType(domain.FindingAppDrift) {
		t.Fatalf("events = %+v", s.Events())
	}
}

// countingDir counts EmailClaim calls.
type countingDir struct {
	domain.UserDirectory
	claims atomic.Int32
}

func (c *countingDir) EmailClaim(ctx context.Context) (domain.ClaimConfig, error) {
	c.claims.Add(1)
	return c.UserDirectory.EmailClaim(ctx)
}

// TestAppFactsAreCached: concurrent diagnoses share one read of the app
// facts; after the TTL a diagnosis answers from the stale facts while one
// background refresh replaces them; facts left unrefreshed for 10 × the TTL
// are reloaded before answering.
func TestAppFactsAreCached(t *testing.T) {
	dir := &countingDir{UserDirectory: tenant(domain.ClaimFromUPN)}
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	j := &diagnose.Job{Directory: dir, Now: func() time.Time { return time.Unix(0, clock.Load()) }, AppFactsTTL: time.Minute}
	diag := func() {
		t.Helper()
		if _, err := j.Diagnose(context.Background(), diagnose.Request{User: "bob@contoso.com"}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := j.Diagnose(context.Background(), diagnose.Request{User: "bob@contoso.com"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := dir.claims.Load(); n != 1 {
		t.Fatalf("20 concurrent diagnoses read the claim configuration %d times, want 1", n)
	}
	clock.Add(int64(61 * time.Second))
	diag()
	diag()
	deadline := time.Now().Add(5 * time.Second)
	for dir.claims.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := dir.claims.Load(); n != 2 {
		t.Fatalf("after the TTL: the claim configuration was read %d times in all, want 2 (one background refresh)", n)
	}
	clock.Add(int64(11 * time.Minute))
	diag()
	if n := dir.claims.Load(); n != 3 {
		t.Fatalf("facts 11 minutes old must be reloaded before answering: %d reads in all, want 3", n)
	}
}

// failingDir fails FindUser with err.
type failingDir struct {
	domain.UserDirectory
	err error
}

func (f failingDir) FindUser(context.Context, string) (domain.User, domain.Assignment, error) {
	return domain.User{}, domain.Assignment{}, f.err
}

func TestErrors(t *testing.T) {
	forbidden := domain.Errorf(domain.EFORBIDDEN, "Graph refused: the app lacks User.Read.All")
	if _, err := job(failingDir{tenant(domain.ClaimFromUPN), forbidden}, nil).Diagnose(context.Background(), diagnose.Request{User: "ann@contoso.com"}); !domain.IsCode(err, domain.EFORBIDDEN) || !strings.Contains(domain.ErrorMessage(err), "User.Read.All") {
		t.Errorf("directory 403: got %v, want EFORBIDDEN naming the permission", err)
	}
	if _, err := job(failingDir{tenant(domain.ClaimFromUPN), errors.New("connection reset")}, nil).Diagnose(context.Background(), diagnose.Request{User: "ann@contoso.com"}); !domain.IsCode(err, domain.EUPSTREAM) {
		t.Errorf("directory failure: got %v, want EUPSTREAM", err)
	}
	s := inmem.NewEventSink()
	s.FailNext(errors.New("amqp: link detached"))
	if _, err := job(tenant(domain.ClaimFromMail), s).Diagnose(context.Background(), diagnose.Request{User: "ann@contoso.com", Ticket: "T-1"}); !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Errorf("sink failure: got %v, want EUNAVAILABLE", err)
	}
	if _, err := job(tenant(domain.ClaimFromMail), nil).Diagnose(context.Background(), diagnose.Request{User: "  "}); !domain.IsCode(err, domain.EINVALID) {
		t.Errorf("empty user: got %v, want EINVALID", err)
	}
}
