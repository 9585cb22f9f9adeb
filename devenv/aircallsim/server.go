package aircallsim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value serves an empty company with
// the documented rate limit and fixed test credentials.
type Options struct {
	// APIID and APIToken are the credentials accepted (defaults
	// "sim-api-id" and "sim-api-token").
	APIID, APIToken string
	// Limit requests per Window fill the company's bucket (defaults
	// DefaultLimit per DefaultWindow); Capacity is the bucket's size
	// (default Limit). Scale Window down to make a benchmark take seconds.
	Limit    int
	Window   time.Duration
	Capacity int
	// Users are the company's users.
	Users []User
	// Addr is the listen address (default 127.0.0.1:0).
	Addr string
	// Logger receives one line per refused request (default: discard).
	// Credentials are never logged.
	Logger *slog.Logger
}

// FaultSpec asks for random faults on authenticated API requests. Rates are
// probabilities per request, drawn from a generator seeded with Seed.
type FaultSpec struct {
	Rate429, Rate503, RateReset float64
	Seed                        int64
}

// Stats counts what the simulator served since start (or ResetStats).
type Stats struct {
	// Requests per route, e.g. "GET /v2/users".
	Requests map[string]int
	// Pages and UsersServed count list pages and the users in them.
	Pages, UsersServed int
	// Throttled counts 429s from the bucket; Injected counts injected
	// faults by kind ("429", "503", "reset"); Unauthorized counts 401s.
	Throttled, Unauthorized int
	Injected                map[string]int
}

// Server serves one Aircall company over plain http on loopback.
type Server struct {
	o   Options
	log *slog.Logger
	srv *httptest.Server

	mu       sync.Mutex
	users    userStore
	level    float64 // bucket level, in requests
	levelAt  time.Time
	faults   FaultSpec
	rng      *rand.Rand
	failNext []failRule
	stats    Stats
}

type failRule struct{ status, n int }

// New returns a server for o; call Start.
func New(o Options) *Server {
	if o.APIID == "" {
		o.APIID = "sim-api-id"
	}
	if o.APIToken == "" {
		o.APIToken = "sim-api-token"
	}
	if o.Limit <= 0 {
		o.Limit = DefaultLimit
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Capacity <= 0 {
		o.Capacity = o.Limit
	}
	s := &Server{o: o, log: o.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.users.put(o.Users...)
	s.stats = Stats{Requests: map[string]int{}, Injected: map[string]int{}}
	return s
}

// Start listens and serves.
func (s *Server) Start() error {
	addr := s.o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("aircallsim: listen on %s: %w", addr, err)
	}
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}}
	s.srv.Start()
	return nil
}

// Close stops the listener and closes client connections.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.CloseClientConnections()
		s.srv.Close()
	}
}

// URL is the API base, e.g. http://127.0.0.1:PORT (paths carry the version).
func (s *Server) URL() string { return s.srv.URL }

// APIID and APIToken are the accepted credentials.
func (s *Server) APIID() string    { return s.o.APIID }
func (s *Server) APIToken() string { return s.o.APIToken }

// Handler is the server's http.Handler (for embedding in another server).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// PutUsers adds users, or replaces them by ID.
func (s *Server) PutUsers(us ...User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users.put(us...)
}

// DeleteUser removes the user with id.
func (s *Server) DeleteUser(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users.delete(id)
}

// InjectFaults replaces the random fault settings; a zero FaultSpec stops them.
func (s *Server) InjectFaults(f FaultSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0xa1c0))
}

// FailNext makes the next n authenticated API requests answer status (429
// with the rate headers, 503, …); status 0 cuts the connection mid-answer.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, failRule{status: status, n: n})
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests, st.Injected = maps.Clone(s.stats.Requests), maps.Clone(s.stats.Injected)
	return st
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{Requests: map[string]int{}, Injected: map[string]int{}}
}

// serve applies the rules in order: route, faults, basic-auth, leaky-bucket,
// then the endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	rt := route(r)
	s.count(func(st *Stats) { st.Requests[rt.name]++ })
	if status, reset := s.fault(); reset {
		hijackReset(w)
		return
	} else if status != 0 {
		s.writeFault(w, status)
		return
	}
	if !s.authorized(r) {
		s.count(func(st *Stats) { st.Unauthorized++ })
		s.log.Warn("aircallsim: refused credentials", "path", r.URL.Path)
		writeError(w, http.StatusUnauthorized, "Unauthorized", "Check your api_id and api_token (HTTP Basic auth).")
		return
	}
	if ok, reset := s.take(time.Now()); !ok {
		s.count(func(st *Stats) { st.Throttled++ })
		s.rateHeaders(w, reset)
		writeError(w, http.StatusTooManyRequests, "Too Many Requests", "Rate limit reached; retry after X-AircallApi-Reset.")
		return
	}
	if rt.handle == nil {
		writeError(w, http.StatusNotFound, "Not found", "No route for "+r.Method+" "+r.URL.Path+".")
		return
	}
	rt.handle(s, w, r, rt.arg)
}

type routeMatch struct {
	name   string
	handle func(s *Server, w http.ResponseWriter, r *http.Request, arg string)
	arg    string
}

func route(r *http.Request) routeMatch {
	p := strings.TrimRight(r.URL.Path, "/")
	if r.Method != http.MethodGet {
		return routeMatch{name: r.Method + " " + p}
	}
	switch {
	case p == "/v1/ping":
		return routeMatch{name: "GET /v1/ping", handle: (*Server).ping}
	case p == "/v1/users" || p == "/v2/users":
		return routeMatch{name: "GET " + p, handle: (*Server).listUsers}
	case strings.HasPrefix(p, "/v1/users/") || strings.HasPrefix(p, "/v2/users/"):
		ver, arg := p[:3], p[len("/v1/users/"):]
		if !strings.Contains(arg, "/") && (ver == "/v2" || !strings.Contains(arg, "@")) {
			return routeMatch{name: "GET " + ver + "/users/{id}", handle: (*Server).getUser, arg: arg}
		}
	}
	return routeMatch{name: "GET " + p}
}

func (s *Server) ping(w http.ResponseWriter, _ *http.Request, _ string) {
	_, _ = w.Write([]byte(`{"ping":"pong"}`))
}

// authorized checks HTTP Basic credentials in constant time.
func (s *Server) authorized(r *http.Request) bool {
	id, token, ok := r.BasicAuth()
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.o.APIID))
	tokOK := subtle.ConstantTimeCompare([]byte(token), []byte(s.o.APIToken))
	return ok && idOK&tokOK == 1
}

// take drains the bucket to now and adds one request when it fits; when it
// does not, it returns the time one request fits again.
func (s *Server) take(now time.Time) (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rate := float64(s.o.Limit) / s.o.Window.Seconds() // requests drained per second
	if !s.levelAt.IsZero() {
		s.level = math.Max(0, s.level-now.Sub(s.levelAt).Seconds()*rate)
	}
	s.levelAt = now
	if s.level+1 > float64(s.o.Capacity) {
		wait := (s.level + 1 - float64(s.o.Capacity)) / rate
		return false, now.Add(time.Duration(wait * float64(time.Second)))
	}
	s.level++
	return true, time.Time{}
}

// rateHeaders sets the X-AircallApi-* headers of a 429 (rate-headers).
func (s *Server) rateHeaders(w http.ResponseWriter, reset time.Time) {
	secs := reset.Unix()
	if reset.After(time.Unix(secs, 0)) {
		secs++ // round up: a client waiting until Reset is never early
	}
	w.Header().Set("X-AircallApi-Limit", strconv.Itoa(s.o.Limit))
	w.Header().Set("X-AircallApi-Remaining", "0")
	w.Header().Set("X-AircallApi-Reset", strconv.FormatInt(secs, 10))
}

// fault decides an injected fault: status 0 and reset false = none.
func (s *Server) fault() (status int, reset bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failNext {
		fr := &s.failNext[i]
		if fr.n > 0 {
			fr.n--
			return s.injected(fr.status)
		}
	}
	f := s.faults
	if f.Rate429+f.Rate503+f.RateReset == 0 || s.rng == nil {
		return 0, false
	}
	switch x := s.rng.Float64(); {
	case x < f.Rate429:
		return s.injected(http.StatusTooManyRequests)
	case x < f.Rate429+f.Rate503:
		return s.injected(http.StatusServiceUnavailable)
	case x < f.Rate429+f.Rate503+f.RateReset:
		return s.injected(0)
	}
	return 0, false
}

// injected counts a fault; the caller holds s.mu.
func (s *Server) injected(status int) (int, bool) {
	if status == 0 {
		s.stats.Injected["reset"]++
		return 0, true
	}
	s.stats.Injected[strconv.Itoa(status)]++
	return status, false
}

func (s *Server) writeFault(w http.ResponseWriter, status int) {
	if status == http.StatusTooManyRequests {
		s.rateHeaders(w, time.Now().Add(100*time.Millisecond))
		writeError(w, status, "Too Many Requests", "Rate limit reached; retry after X-AircallApi-Reset.")
		return
	}
	writeError(w, status, http.StatusText(status), "Injected fault.")
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// writeError writes Aircall's error shape (error-shape).
func writeError(w http.ResponseWriter, status int, title, troubleshoot string) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": title, "troubleshoot": troubleshoot})
}

// hijackReset drops the connection mid-answer: a 200 whose body stops after
// its first bytes, short of the Content-Length announced.
func hijackReset(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "65536")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"users":[`))
	_ = http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler) // the server closes the connection, logging nothing
}
