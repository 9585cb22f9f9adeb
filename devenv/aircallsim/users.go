package aircallsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// User is an Aircall user as the simulator stores it.
type User struct {
	ID        int64
	Name      string
	Email     string
	CreatedAt time.Time // kept to the second, as the API reports it
}

// userStore keeps users sorted on (CreatedAt, ID) for range queries.
type userStore struct {
	list []User
}

func less(a, b User) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

func (st *userStore) put(us ...User) {
	replaced := map[int64]User{}
	for _, u := range us {
		u.CreatedAt = u.CreatedAt.UTC().Truncate(time.Second)
		replaced[u.ID] = u
	}
	kept := st.list[:0:0]
	for _, u := range st.list {
		if _, ok := replaced[u.ID]; !ok {
			kept = append(kept, u)
		}
	}
	for _, u := range replaced {
		kept = append(kept, u)
	}
	sort.Slice(kept, func(i, j int) bool { return less(kept[i], kept[j]) })
	st.list = kept
}

func (st *userStore) delete(id int64) {
	for i, u := range st.list {
		if u.ID == id {
			st.list = append(st.list[:i:i], st.list[i+1:]...)
			return
		}
	}
}

// between returns the users with from ≤ created_at ≤ to (zero: open), in
// ascending order; the slice is shared, not copied.
func (st *userStore) between(from, to time.Time) []User {
	lo, hi := 0, len(st.list)
	if !from.IsZero() {
		lo = sort.Search(len(st.list), func(i int) bool { return !st.list[i].CreatedAt.Before(from) })
	}
	if !to.IsZero() {
		hi = sort.Search(len(st.list), func(i int) bool { return st.list[i].CreatedAt.After(to) })
	}
	if lo > hi {
		return nil
	}
	return st.list[lo:hi]
}

// wireUser is a user as the API answers it (users-list).
type wireUser struct {
	ID                 int64  `json:"id"`
	DirectLink         string `json:"direct_link"`
	Name               string `json:"name"`
	Email              string `json:"email"`
	CreatedAt          string `json:"created_at"`
	Available          bool   `json:"available"`
	AvailabilityStatus string `json:"availability_status"`
	TimeZone           string `json:"time_zone"`
	Language           string `json:"language"`
}

func toWire(base, ver string, u User) wireUser {
	return wireUser{ID: u.ID, DirectLink: base + ver + "/users/" + strconv.FormatInt(u.ID, 10), Name: u.Name, Email: u.Email,
		CreatedAt: u.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), AvailabilityStatus: "available", TimeZone: "Etc/UTC", Language: "en-US"}
}

type meta struct {
	Count            int     `json:"count"`
	Total            int     `json:"total"`
	CurrentPage      int     `json:"current_page"`
	PerPage          int     `json:"per_page"`
	NextPageLink     *string `json:"next_page_link"`
	PreviousPageLink *string `json:"previous_page_link"`
}

// intParam reads a positive integer query parameter, def when absent or bad.
func intParam(q url.Values, name string, def int) int {
	n, err := strconv.Atoi(q.Get(name))
	if err != nil || n < 1 {
		return def
	}
	return n
}

// unixParam reads a UNIX-seconds filter (zero time when absent or bad).
func unixParam(q url.Values, name string) time.Time {
	n, err := strconv.ParseInt(q.Get(name), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// listUsers serves the users list (users-list, per-page, page, meta,
// record-cap, created-filters).
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	page := intParam(q, "page", 1)
	perPage := min(intParam(q, "per_page", DefaultPerPage), MaxPerPage)
	desc := q.Get("order") == "desc"
	base, ver := "http://"+r.Host, r.URL.Path[:3]

	s.mu.Lock()
	all := s.users.between(unixParam(q, "from"), unixParam(q, "to"))
	total := len(all)
	start := (page - 1) * perPage
	if start >= RecordCap {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "Bad Request",
			"List endpoints return at most 10,000 records per query; narrow the query with from and to.")
		return
	}
	reach := min(total, RecordCap)
	end := min(start+perPage, reach)
	out := make([]wireUser, 0, max(0, end-start))
	for i := start; i < end; i++ {
		u := all[i]
		if desc {
			u = all[total-1-i]
		}
		out = append(out, toWire(base, ver, u))
	}
	s.stats.Pages++
	s.stats.UsersServed += len(out)
	s.mu.Unlock()

	m := meta{Count: len(out), Total: total, CurrentPage: page, PerPage: perPage}
	link := func(p int) *string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		l := base + r.URL.Path + "?" + v.Encode()
		return &l
	}
	if end < reach {
		m.NextPageLink = link(page + 1)
	}
	if page > 1 {
		m.PreviousPageLink = link(page - 1)
	}
	_ = json.NewEncoder(w).Encode(struct {
		Users []wireUser `json:"users"`
		Meta  meta       `json:"meta"`
	}{out, m})
}

// getUser serves one user by id, or (v2) by email (user-get).
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, arg string) {
	s.mu.Lock()
	var found *User
	id, idErr := strconv.ParseInt(arg, 10, 64)
	for i := range s.users.list {
		u := &s.users.list[i]
		if (idErr == nil && u.ID == id) || (idErr != nil && strings.EqualFold(strings.TrimSpace(u.Email), strings.TrimSpace(arg))) {
			found = u
			break
		}
	}
	var body any
	if found != nil {
		body = map[string]wireUser{"user": toWire("http://"+r.Host, r.URL.Path[:3], *found)}
	}
	s.mu.Unlock()
	if body == nil {
		writeError(w, http.StatusNotFound, "Not found", "No user "+arg+".")
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}
