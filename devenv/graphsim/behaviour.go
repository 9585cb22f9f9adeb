package graphsim

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FaultSpec asks for random faults on Graph requests (not on the token or
// federation metadata endpoints). Rates are probabilities per request,
// drawn from a generator seeded with Seed, so a run is reproducible for a
// given request order.
type FaultSpec struct {
	// Rate429 answers 429 TooManyRequests with Retry-After RetryAfter.
	Rate429 float64
	// Rate503 answers 503 serviceNotAvailable with Retry-After RetryAfter.
	Rate503 float64
	// RateReset cuts the connection mid-answer (hijack, part of a 200
	// answer, then a TCP reset).
	RateReset float64
	// RetryAfter is the Retry-After value in seconds (default 1).
	RetryAfter int
	// Seed seeds the draws (default: the tenant's seed).
	Seed int64
	// Match limits faults to requests it returns true for (nil: all Graph
	// requests).
	Match func(*http.Request) bool
}

// Stats counts what the simulator served since start (or ResetStats).
type Stats struct {
	// Requests per route, e.g. "GET /v1.0/users".
	Requests map[string]int
	// Pages is the number of collection pages served (users, delta,
	// members, assignments, lists).
	Pages int
	// UsersServed is the number of user objects in those pages.
	UsersServed int
	// Throttled is the number of 429s sent because a budget (SetBudget,
	// SetWriteBudget) was spent.
	Throttled int
	// Injected counts injected faults by kind: "429", "503", "reset".
	Injected map[string]int
	// ResourceUnits is the RU cost charged so far.
	ResourceUnits int
	// Unauthorized is the number of 401s sent.
	Unauthorized int
	// GzipBodies is the number of request bodies that came gzip-compressed.
	GzipBodies int
}

// behaviour is the tenant's knobs: latency, faults, throttling, stats.
type behaviour struct {
	bmu      sync.Mutex
	seed     int64
	latency  time.Duration
	faults   FaultSpec
	rng      *rand.Rand
	failNext []failRule
	budget   int
	window   time.Duration
	winStart time.Time
	winUsed  int
	writes   meter
	stats    Stats
}

type failRule struct {
	status, n int
	match     func(*http.Request) bool
}

func (b *behaviour) init(seed int64) {
	b.seed = seed
	b.window = 10 * time.Second
	b.rng = rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	b.stats = Stats{Requests: map[string]int{}, Injected: map[string]int{}}
}

// SetLatency adds d before every Graph answer.
func (t *Tenant) SetLatency(d time.Duration) {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	t.latency = d
}

// InjectFaults replaces the random fault settings; a zero FaultSpec stops
// them.
func (t *Tenant) InjectFaults(f FaultSpec) {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	if f.RetryAfter <= 0 {
		f.RetryAfter = 1
	}
	seed := f.Seed
	if seed == 0 {
		seed = t.seed
	}
	t.faults = f
	t.rng = rand.New(rand.NewPCG(uint64(seed), 0xfa17))
}

// FailNext makes the next n Graph requests that match (nil: any) answer
// status: 429 and 503 carry Retry-After: 1; status 0 cuts the connection
// mid-answer, as RateReset does.
func (t *Tenant) FailNext(n, status int, match func(*http.Request) bool) {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	if n <= 0 {
		t.failNext = nil
		return
	}
	t.failNext = append(t.failNext, failRule{status: status, n: n, match: match})
}

// SetBudget sets the resource-unit budget per window (0: unlimited, the
// default) as Graph's identity service throttles an app in a tenant
// (3,500 / 5,000 / 8,000 RU per 10 s for tenants under 50 / 50–500 / over
// 500 users). window 0 keeps the current window (default 10 s).
func (t *Tenant) SetBudget(ru int, window time.Duration) {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	t.budget = ru
	if window > 0 {
		t.window = window
	}
	t.winStart, t.winUsed = time.Time{}, 0
}

// DefaultBudget is Graph's documented per-app-per-tenant RU budget per 10 s
// for a tenant of n users.
func DefaultBudget(n int) int {
	switch {
	case n < 50:
		return 3500
	case n <= 500:
		return 5000
	}
	return 8000
}

// Stats returns a copy of the counters.
func (t *Tenant) Stats() Stats {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	s := t.stats
	s.Requests = map[string]int{}
	for k, v := range t.stats.Requests {
		s.Requests[k] = v
	}
	s.Injected = map[string]int{}
	for k, v := range t.stats.Injected {
		s.Injected[k] = v
	}
	return s
}

// ResetStats zeroes the counters.
func (t *Tenant) ResetStats() {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	t.stats = Stats{Requests: map[string]int{}, Injected: map[string]int{}}
}

func (t *Tenant) countRequest(route string) {
	t.bmu.Lock()
	t.stats.Requests[route]++
	t.bmu.Unlock()
}

func (t *Tenant) countPage(users int) {
	t.bmu.Lock()
	t.stats.Pages++
	t.stats.UsersServed += users
	t.bmu.Unlock()
}

func (t *Tenant) countGzip() {
	t.bmu.Lock()
	t.stats.GzipBodies++
	t.bmu.Unlock()
}

func (t *Tenant) countUnauthorized() {
	t.bmu.Lock()
	t.stats.Unauthorized++
	t.bmu.Unlock()
}

func (t *Tenant) currentLatency() time.Duration {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	return t.latency
}

// fault decides an injected fault for r: status 0 and reset false = none.
func (t *Tenant) fault(r *http.Request) (status int, reset bool, retryAfter int) {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	for i := range t.failNext {
		fr := &t.failNext[i]
		if fr.n > 0 && (fr.match == nil || fr.match(r)) {
			fr.n--
			if fr.status == 0 {
				t.stats.Injected["reset"]++
				return 0, true, 0
			}
			t.stats.Injected[strconv.Itoa(fr.status)]++
			return fr.status, false, 1
		}
	}
	f := t.faults
	if f.Rate429+f.Rate503+f.RateReset == 0 || (f.Match != nil && !f.Match(r)) {
		return 0, false, 0
	}
	x := t.rng.Float64()
	switch {
	case x < f.Rate429:
		t.stats.Injected["429"]++
		return 429, false, f.RetryAfter
	case x < f.Rate429+f.Rate503:
		t.stats.Injected["503"]++
		return 503, false, f.RetryAfter
	case x < f.Rate429+f.Rate503+f.RateReset:
		t.stats.Injected["reset"]++
		return 0, true, 0
	}
	return 0, false, 0
}

// meter is a fixed-window budget.
type meter struct {
	budget int
	window time.Duration
	start  time.Time
	used   int
}

// take charges cost; when the budget is spent it returns false and the
// seconds until the window ends.
func (m *meter) take(cost int, now time.Time) (bool, int) {
	if m.budget <= 0 {
		return true, 0
	}
	if m.start.IsZero() || now.Sub(m.start) >= m.window {
		m.start, m.used = now, 0
	}
	if m.used+cost > m.budget {
		left := m.window - now.Sub(m.start)
		return false, max(1, int((left+time.Second-1)/time.Second))
	}
	m.used += cost
	return true, 0
}

// SetWriteBudget sets how many writes (POST, PATCH, PUT, DELETE) are
// accepted per window before 429 WriteLimitExceeded (0: unlimited, the
// default; Graph's identity service: 3,000 per 2.5 minutes per app and
// tenant).
func (t *Tenant) SetWriteBudget(n int, window time.Duration) {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	if window <= 0 {
		window = 150 * time.Second
	}
	t.writes = meter{budget: n, window: window}
}

// charge accounts cost RU (and one write for writes). When a budget is
// spent it returns false, the Retry-After seconds and what was exceeded
// (ResourceUnitLimitExceeded or WriteLimitExceeded); used is the share of
// the RU budget used (for x-ms-throttle-limit-percentage).
func (t *Tenant) charge(cost int, write bool, now time.Time) (ok bool, retryAfter int, exceeded string, used float64) {
	t.bmu.Lock()
	defer t.bmu.Unlock()
	if write {
		if ok, ra := t.writes.take(1, now); !ok {
			t.stats.Throttled++
			return false, ra, "WriteLimitExceeded", 1
		}
	}
	ru := meter{budget: t.budget, window: t.window, start: t.winStart, used: t.winUsed}
	ok, ra := ru.take(cost, now)
	t.winStart, t.winUsed = ru.start, ru.used
	if !ok {
		t.stats.Throttled++
		return false, ra, "ResourceUnitLimitExceeded", float64(t.winUsed) / float64(t.budget)
	}
	t.stats.ResourceUnits += cost
	if t.budget <= 0 {
		return true, 0, "", 0
	}
	return true, 0, "", float64(t.winUsed) / float64(t.budget)
}
