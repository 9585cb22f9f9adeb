package aircall_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/devenv/aircallsim"
	"github.com/identity-ops/aircall-entra-sso/handler/aircall"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// newSim starts a simulator holding users with a bucket of limit requests
// per second (0: generous, so tests are not paced by it).
func newSim(t testing.TB, users []aircallsim.User, limit int) *aircallsim.Server {
	t.Helper()
	if limit == 0 {
		limit = 100000
	}
	srv := aircallsim.New(aircallsim.Options{Users: users, Limit: limit, Window: time.Second})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client of srv with fast retries and a pace of
// 10,000 requests per second; mod changes the options first.
func newClient(t testing.TB, srv *aircallsim.Server, mod func(*aircall.Options)) *aircall.Client {
	t.Helper()
	o := aircall.Options{BaseURL: srv.URL(), APIID: srv.APIID(), APIToken: srv.APIToken(), RateLimit: 10000, RateWindow: time.Second,
		Retry: policy.RetryOptions{MaxRetries: 8, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 5 * time.Second, TryTimeout: 10 * time.Second}}
	if mod != nil {
		mod(&o)
	}
	c, err := aircall.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func toSim(us []domain.AircallUser) []aircallsim.User {
	out := make([]aircallsim.User, len(us))
	for i, u := range us {
		out[i] = aircallsim.User{ID: u.ID, Name: u.Name, Email: u.Email, CreatedAt: u.CreatedAt}
	}
	return out
}

// listIDs lists every user and fails on a user handed twice.
func listIDs(t testing.TB, d domain.AircallDirectory) []int64 {
	t.Helper()
	seen := map[int64]bool{}
	var ids []int64
	err := d.ListUsers(context.Background(), domain.AircallWindow{}, func(u *domain.AircallUser) error {
		if seen[u.ID] {
			t.Errorf("user %d handed twice", u.ID)
		}
		seen[u.ID] = true
		ids = append(ids, u.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// wantAll checks ids is exactly 1..n.
func wantAll(t *testing.T, ids []int64, n int) {
	t.Helper()
	if len(ids) != n {
		t.Fatalf("listed %d users, want %d", len(ids), n)
	}
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("ids[%d] = %d, want %d", i, id, i+1)
		}
	}
}

func TestAircallConformanceOverSimulator(t *testing.T) {
	porttest.AircallDirectory(t, func(t *testing.T, users []domain.AircallUser) domain.AircallDirectory {
		return newClient(t, newSim(t, toSim(users), 0), nil)
	})
}

// A 25,000-user company is read completely despite the 10,000-record cap,
// whether the users are months apart or several share a second.
func TestListReadsPastRecordCap(t *testing.T) {
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		span time.Duration
	}{{"spread", 400 * 24 * time.Hour}, {"crowded", 5 * time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSim(t, aircallsim.GenerateUsers(7, 25000, start, tc.span), 0)
			wantAll(t, listIDs(t, newClient(t, srv, nil)), 25000)
			st := srv.Stats()
			if n := st.Requests["GET /v2/users"]; n > 540 {
				t.Errorf("%d requests for 25,000 users, want at most 540 (500 pages, the splits and the last page of each window)", n)
			}
			if st.Requests["GET /v1/users"] != 0 {
				t.Errorf("the retired /v1/users was asked %d times", st.Requests["GET /v1/users"])
			}
		})
	}
}

// 429s, 503s and connection resets change nothing read.
func TestFaultsChangeNothingRead(t *testing.T) {
	users := aircallsim.GenerateUsers(3, 3000, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 30*24*time.Hour)
	srv := newSim(t, users, 0)
	srv.FailNext(1, 429)
	srv.FailNext(1, 0)
	srv.InjectFaults(aircallsim.FaultSpec{Rate429: 0.04, Rate503: 0.08, RateReset: 0.08, Seed: 11})
	wantAll(t, listIDs(t, newClient(t, srv, nil)), 3000)
	st := srv.Stats()
	if st.Injected["429"] == 0 || st.Injected["503"] == 0 || st.Injected["reset"] == 0 {
		t.Errorf("injected %v, want some of each kind", st.Injected)
	}
}

// A client faster than the company's bucket gets 429s, waits for
// X-AircallApi-Reset, adopts X-AircallApi-Limit and still reads everything.
func TestThrottledClientSlowsToTheLimit(t *testing.T) {
	srv := aircallsim.New(aircallsim.Options{Limit: 20, Window: time.Second, Capacity: 2,
		Users: aircallsim.GenerateUsers(5, 500, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour)})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := newClient(t, srv, func(o *aircall.Options) { o.RateLimit = 1000 })
	wantAll(t, listIDs(t, c), 500)
	if st := srv.Stats(); st.Throttled == 0 {
		t.Errorf("no 429 from the bucket: the test did not exercise throttling")
	}
	// The pace is now the company's: another read is not throttled.
	srv.ResetStats()
	wantAll(t, listIDs(t, c), 500)
	if st := srv.Stats(); st.Throttled != 0 {
		t.Errorf("%d requests throttled after the client learnt the limit", st.Throttled)
	}
}

// An incremental read from a creation time lists the newer users only.
func TestListWindowFromSimulator(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	users := aircallsim.GenerateUsers(9, 12000, start, 10*24*time.Hour)
	srv := newSim(t, users, 0)
	from := users[9000].CreatedAt
	n := 0
	err := newClient(t, srv, nil).ListUsers(context.Background(), domain.AircallWindow{From: from}, func(u *domain.AircallUser) error {
		if u.CreatedAt.Before(from) {
			t.Errorf("user %d created %s, before %s", u.ID, u.CreatedAt, from)
		}
		n++
		return nil
	})
	want := 0
	for _, u := range users {
		if !u.CreatedAt.Before(from) {
			want++
		}
	}
	if err != nil || n != want {
		t.Errorf("ListUsers(from) = %d users, %v; want %d", n, err, want)
	}
}

// A company mirrored from simulated Entra people with drift reads back
// through the adapter exactly as generated (emails keep their letter case),
// and a person's UPN finds the Aircall user created with a re-cased UPN.
func TestMirroredCompanyReadsBack(t *testing.T) {
	var people []aircallsim.Person
	for i := 0; i < 400; i++ {
		people = append(people, aircallsim.Person{UPN: fmt.Sprintf("p%d@contoso.com", i), Mail: fmt.Sprintf("first%d.last@contoso.com", i)})
	}
	users, origins := aircallsim.Mirror(3, people, aircallsim.Drift{Mail: 0.2, Missing: 0.1, Case: 0.2, Extra: 15}, 500, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC))
	srv := newSim(t, users, 0)
	c := newClient(t, srv, nil)
	want := map[int64]string{}
	for _, u := range users {
		want[u.ID] = u.Email
	}
	got := map[int64]string{}
	err := c.ListUsers(context.Background(), domain.AircallWindow{}, func(u *domain.AircallUser) error { got[u.ID] = u.Email; return nil })
	if err != nil || len(got) != len(want) {
		t.Fatalf("ListUsers = %d users, %v; want %d", len(got), err, len(want))
	}
	for id, e := range want {
		if got[id] != e {
			t.Errorf("user %d email %q, want %q", id, got[id], e)
		}
	}
	checked := 0
	for _, o := range origins {
		if o.Kind == "upn" && o.Cased && checked < 5 {
			checked++
			u, err := c.FindUserByEmail(context.Background(), people[o.Person].UPN)
			if err != nil || u.ID != o.UserID {
				t.Errorf("FindUserByEmail(%s) = %+v, %v; want user %d", people[o.Person].UPN, u, err, o.UserID)
			}
		}
	}
	if checked == 0 {
		t.Errorf("no re-cased UPN in the mirror")
	}
}
