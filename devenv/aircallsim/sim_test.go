package aircallsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, o Options) *Server {
	t.Helper()
	s := New(o)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

type listAnswer struct {
	Users []wireUser `json:"users"`
	Meta  meta       `json:"meta"`
}

// get GETs path with the server's credentials (or none when anon) and
// decodes a JSON answer into out.
func get(t *testing.T, s *Server, path string, anon bool, out any) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if !anon {
		req.SetBasicAuth(s.APIID(), s.APIToken())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s: %v in %s", path, err, body)
		}
	}
	return resp
}

func TestRulesCiteTheirPage(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if r.Name == "" || r.Behaviour == "" || r.Source == "" || seen[r.Name] {
			t.Errorf("rule %+v: every rule needs a unique name, a behaviour and a source", r)
		}
		seen[r.Name] = true
		if r.Name != "faults" && !strings.Contains(r.Source, "aircall.io") {
			t.Errorf("rule %s names no Aircall page: %s", r.Name, r.Source)
		}
	}
}

func TestAuthAndPing(t *testing.T) {
	s := start(t, Options{})
	var pong map[string]string
	if resp := get(t, s, "/v1/ping", false, &pong); resp.StatusCode != 200 || pong["ping"] != "pong" {
		t.Errorf("ping = %d %v", resp.StatusCode, pong)
	}
	for _, p := range []string{"/v1/ping", "/v2/users"} {
		if resp := get(t, s, p, true, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without credentials = %d, want 401", p, resp.StatusCode)
		}
	}
	if s.Stats().Unauthorized != 2 {
		t.Errorf("Unauthorized = %d, want 2", s.Stats().Unauthorized)
	}
	if resp := get(t, s, "/v1/calls", false, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path = %d, want 404", resp.StatusCode)
	}
}

func TestPagingMetaAndCap(t *testing.T) {
	s := start(t, Options{Limit: 100000, Window: time.Second, Users: GenerateUsers(1, 10120, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 24*time.Hour)})
	var a listAnswer
	get(t, s, "/v2/users", false, &a)
	if len(a.Users) != DefaultPerPage || a.Meta.PerPage != 20 || a.Meta.Total != 10120 || a.Meta.CurrentPage != 1 || a.Meta.PreviousPageLink != nil || a.Meta.NextPageLink == nil {
		t.Errorf("default page: %d users, meta %+v", len(a.Users), a.Meta)
	}
	get(t, s, "/v2/users?per_page=500&page=2", false, &a)
	if len(a.Users) != MaxPerPage || a.Meta.PerPage != 50 || a.Users[0].ID != 51 || a.Meta.PreviousPageLink == nil {
		t.Errorf("per_page=500: %d users from id %d, meta %+v", len(a.Users), a.Users[0].ID, a.Meta)
	}
	if !strings.HasPrefix(*a.Meta.NextPageLink, s.URL()+"/v2/users?") || !strings.Contains(*a.Meta.NextPageLink, "page=3") {
		t.Errorf("next_page_link = %s", *a.Meta.NextPageLink)
	}
	get(t, s, "/v2/users?per_page=50&page=200", false, &a)
	if len(a.Users) != 50 || a.Meta.NextPageLink != nil || a.Meta.Total != 10120 {
		t.Errorf("last page inside the cap: %d users, meta %+v", len(a.Users), a.Meta)
	}
	if resp := get(t, s, "/v2/users?per_page=50&page=201", false, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("page past the cap = %d, want 400", resp.StatusCode)
	}
}

func TestCreatedFiltersAndOrder(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var users []User
	for i := 0; i < 10; i++ {
		users = append(users, User{ID: int64(i + 1), Email: "u" + strconv.Itoa(i) + "@x", CreatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	s := start(t, Options{Users: users})
	from, to := base.Add(2*time.Minute).Unix(), base.Add(5*time.Minute).Unix()
	var a listAnswer
	get(t, s, "/v1/users?from="+strconv.FormatInt(from, 10)+"&to="+strconv.FormatInt(to, 10), false, &a)
	if a.Meta.Total != 4 || len(a.Users) != 4 || a.Users[0].ID != 3 || a.Users[3].ID != 6 {
		t.Errorf("from/to (inclusive): total %d, users %+v", a.Meta.Total, a.Users)
	}
	get(t, s, "/v2/users?order=desc&per_page=2", false, &a)
	if a.Users[0].ID != 10 || a.Users[1].ID != 9 {
		t.Errorf("order=desc: %+v", a.Users)
	}
	if a.Users[0].CreatedAt != "2024-01-01T00:09:00.000Z" {
		t.Errorf("created_at = %s", a.Users[0].CreatedAt)
	}
	var one map[string]wireUser
	get(t, s, "/v2/users/U3@X", false, &one)
	if one["user"].ID != 4 {
		t.Errorf("user by email: %+v", one)
	}
	if resp := get(t, s, "/v2/users/none@x", false, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown email = %d", resp.StatusCode)
	}
}

func TestLeakyBucket(t *testing.T) {
	s := start(t, Options{Limit: 5, Window: time.Minute})
	for i := 0; i < 5; i++ {
		if resp := get(t, s, "/v1/ping", false, nil); resp.StatusCode != 200 {
			t.Fatalf("request %d = %d", i, resp.StatusCode)
		}
	}
	resp := get(t, s, "/v1/ping", false, nil)
	reset, _ := strconv.ParseInt(resp.Header.Get("X-AircallApi-Reset"), 10, 64)
	wait := time.Until(time.Unix(reset, 0))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-AircallApi-Limit") != "5" ||
		resp.Header.Get("X-AircallApi-Remaining") != "0" || wait < 10*time.Second || wait > 13*time.Second {
		t.Errorf("over the bucket: %d, headers %v (reset in %s, want about 12s)", resp.StatusCode, resp.Header, wait)
	}
	if s.Stats().Throttled != 1 {
		t.Errorf("Throttled = %d", s.Stats().Throttled)
	}
}

func TestMirrorDrift(t *testing.T) {
	var people []Person
	for i := 0; i < 2000; i++ {
		n := strconv.Itoa(i)
		mail := "first" + n + ".last@contoso.com"
		if i%10 == 0 {
			mail = ""
		}
		people = append(people, Person{UPN: "u" + n + "@contoso.com", Mail: mail})
	}
	d := Drift{Mail: 0.2, Missing: 0.1, Case: 0.1, Extra: 30}
	users, origins := Mirror(5, people, d, 1000, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	count := map[string]int{}
	byID := map[int64]User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	for _, o := range origins {
		count[o.Kind]++
		if o.Cased {
			count["cased"]++
		}
		u, ok := byID[o.UserID]
		switch {
		case o.Kind == "missing" && ok:
			t.Errorf("missing person %d has user %d", o.Person, o.UserID)
		case o.Kind == "upn" && !strings.EqualFold(u.Email, people[o.Person].UPN),
			o.Kind == "mail" && !strings.EqualFold(u.Email, people[o.Person].Mail):
			t.Errorf("origin %+v but email %q", o, u.Email)
		case o.Cased && u.Email == people[o.Person].UPN:
			t.Errorf("origin %+v but email unchanged", o)
		}
	}
	if len(users)+count["missing"] != len(people)+d.Extra || count["extra"] != 30 {
		t.Errorf("%d users, counts %v", len(users), count)
	}
	for kind, want := range map[string]float64{"missing": 200, "mail": 0.9 * 0.9 * 0.2 * 2000, "cased": 0.9 * 200} {
		if got := float64(count[kind]); got < want*0.7 || got > want*1.3 {
			t.Errorf("%s: %v, want about %v", kind, got, want)
		}
	}
	again, _ := Mirror(5, people, d, 1000, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(again) != len(users) || again[17] != users[17] {
		t.Errorf("Mirror is not deterministic for a seed")
	}
}
