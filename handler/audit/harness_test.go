package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// problemMix is a tenant with every kind of problem and every kind of access.
var problemMix = graphsim.Mix{
	UPNMismatch: 0.08, MailMissing: 0.04, Guests: 0.05, Disabled: 0.03, CaseOnly: 0.05,
	DirectAssigned: 0.3, GroupAssigned: 0.4, NestedOnly: 0.1, Groups: 2,
}

// sink records published events and counts deliveries per id; it can be
// made to fail.
type sink struct {
	mu     sync.Mutex
	events map[string]domain.Event
	counts map[string]int
	calls  int
	fail   error
}

func newSink() *sink { return &sink{events: map[string]domain.Event{}, counts: map[string]int{}} }

func (s *sink) Publish(ctx context.Context, evs []domain.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		return s.fail
	}
	for _, e := range evs {
		s.events[e.ID] = e
		s.counts[e.ID]++
	}
	return nil
}

// forget clears the delivery counts.
func (s *sink) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// take returns the events published since the last take, as sorted
// "type subject" lines, and fails the test on any id delivered twice.
func (s *sink) take(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, e := range s.events {
		if s.counts[id] > 1 {
			t.Errorf("event %s (%s %s) delivered %d times", id, e.Type, e.Subject, s.counts[id])
		}
		out = append(out, strings.TrimPrefix(strings.TrimSuffix(e.Type, ".v1"), domain.EventTypePrefix)+" "+e.Subject)
	}
	sort.Strings(out)
	s.events = map[string]domain.Event{}
	return out
}

type fixture struct {
	sim   *graphsim.Server
	bulk  *graphrest.Client
	store *inmem.Checkpoints
	sink  *sink
	job   *audit.Job
}

func newFixture(t testing.TB, sim *graphsim.Server, scope domain.AuditScope) *fixture {
	t.Helper()
	f := &fixture{sim: sim, store: inmem.NewCheckpoints(), sink: newSink()}
	f.job = &audit.Job{Checkpoints: f.store, Events: f.sink, Scope: scope, Workers: 4, SmallTenant: 1500,
		Budget: time.Hour, ProgressEvery: time.Hour}
	var err error
	f.bulk, err = graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(), PageSize: 200,
		Pin: sim.Tenant().FirstAppPin, Owner: graphsim.Caller,
		OnThrottle:    f.job.OnThrottle,
		ClientOptions: policy.ClientOptions{Retry: fastRetry()}})
	if err != nil {
		t.Fatal(err)
	}
	f.job.Directory = f.bulk
	dir, err := lookup.New(lookup.Options{BaseURL: sim.URL(), Credential: sim.Credential(), CacheFor: time.Nanosecond,
		Pin: sim.Tenant().FirstAppPin, Owner: graphsim.Caller,
		ClientOptions: policy.ClientOptions{Retry: fastRetry()}})
	if err != nil {
		t.Fatal(err)
	}
	f.job.Claim = dir.EmailClaim
	return f
}

func fastRetry() policy.RetryOptions {
	return policy.RetryOptions{MaxRetries: 10, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 5 * time.Second,
		StatusCodes: []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout}}
}

func (f *fixture) run(t *testing.T, req audit.Request) *audit.Report {
	t.Helper()
	rep, err := f.job.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("audit run: %v", err)
	}
	return rep
}

// expected derives, from the generator's ground truth (not from package
// rules), the events an audit of the seeded tenant must publish: the app's
// claim comes from the UPN, so a guest's #EXT# UPN is an error, a UPN ≠
// mail a warning, a missing mail an info, and a disabled account an error.
func expected(sim *graphsim.Server, scope domain.AuditScope) []string {
	var out []string
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		assigned := tr.Access == graphsim.AccessDirect || tr.Access == graphsim.AccessGroup
		if scope == domain.ScopeAssigned && !assigned {
			return true
		}
		upn := tr.User.UserPrincipalName
		if !assigned {
			out = append(out, "user.not-assigned "+upn)
		}
		if tr.Problems&graphsim.ProblemDisabled != 0 {
			out = append(out, "user.disabled "+upn)
		}
		if tr.Problems&graphsim.ProblemGuest != 0 {
			out = append(out, "user.guest-upn "+upn)
		}
		if tr.Problems&graphsim.ProblemMailMissing != 0 {
			out = append(out, "user.mail-missing "+upn)
		}
		if tr.Problems&graphsim.ProblemUPNMismatch != 0 {
			out = append(out, "user.upn-mismatch "+upn)
		}
		return true
	})
	sort.Strings(out)
	return out
}

// diff reports the first differences between two sorted lists.
func diff(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	var missing, extra []string
	for _, s := range want {
		if !g[s] {
			missing = append(missing, s)
		}
	}
	for _, s := range got {
		if !w[s] {
			extra = append(extra, s)
		}
	}
	show := func(l []string) string {
		if len(l) > 5 {
			return fmt.Sprint(l[:5], " …")
		}
		return fmt.Sprint(l)
	}
	t.Errorf("%s: got %d, want %d; missing %d %s; unexpected %d %s", what, len(got), len(want), len(missing), show(missing), len(extra), show(extra))
}
