package aircall_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/aircallsim"
	"github.com/identity-ops/aircall-entra-sso/handler/aircall"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkListRatios reads a company of BENCH_AIRCALL_USERS users (default
// 10,000) from the simulator, whose bucket is Aircall's scaled to
// BENCH_AIRCALL_RATE requests per second (default 100, so the run takes
// seconds, not the minutes of the real 120 per minute), with the client
// paced at the same rate. It reports two ratios, both of which must be at
// most 1.1:
//
//   - requests/min-requests: requests sent vs ⌈users/50⌉, the fewest pages
//     that can carry them;
//   - wall/bound: wall time vs the rate-limit bound, min-requests / rate
//     (the time the company's budget needs for those pages).
func BenchmarkListRatios(b *testing.B) {
	n, rate := envInt("BENCH_AIRCALL_USERS", 10000), envInt("BENCH_AIRCALL_RATE", 100)
	users := aircallsim.GenerateUsers(1, n, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), 3*365*24*time.Hour)
	srv := newSim(b, users, rate)
	minReq := (n + aircall.MaxPerPage - 1) / aircall.MaxPerPage
	bound := time.Duration(float64(minReq) / float64(rate) * float64(time.Second))
	var requests int
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		time.Sleep(time.Second) // let the simulator's bucket drain between runs
		srv.ResetStats()
		c := newClient(b, srv, func(o *aircall.Options) { o.RateLimit = rate })
		b.StartTimer()
		start := time.Now()
		if got := len(listIDs(b, c)); got != n {
			b.Fatalf("listed %d users, want %d", got, n)
		}
		wall += time.Since(start)
		st := srv.Stats()
		for _, k := range st.Requests {
			requests += k
		}
		if st.Throttled > 0 {
			b.Logf("%d requests throttled by the simulator's bucket", st.Throttled)
		}
	}
	reqRatio := float64(requests) / float64(b.N*minReq)
	wallRatio := wall.Seconds() / float64(b.N) / bound.Seconds()
	b.ReportMetric(float64(requests)/float64(b.N), "requests")
	b.ReportMetric(float64(minReq), "min-requests")
	b.ReportMetric(reqRatio, "requests/min-requests")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
	b.ReportMetric(bound.Seconds(), "bound-s")
	b.ReportMetric(wallRatio, "wall/bound")
	if reqRatio > 1.1 || wallRatio > 1.1 {
		b.Errorf("requests/min-requests = %.3f, wall/bound = %.3f; both must be ≤ 1.1", reqRatio, wallRatio)
	}
}
