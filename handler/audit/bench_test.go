package audit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// benchMix: about 5% of users with a problem, no app (scope all, no
// assignment check), like a large tenant's first audit.
var benchMix = graphsim.Mix{UPNMismatch: 0.02, MailMissing: 0.01, Guests: 0.01, Disabled: 0.01}

// countSink counts events without keeping them.
type countSink struct{ n atomic.Int64 }

func (c *countSink) Publish(_ context.Context, evs []domain.Event) error {
	c.n.Add(int64(len(evs)))
	return nil
}

// BenchmarkScanFullWallTime is the sharded full scan of a large tenant
// (BENCH_USERS, default 1,000,000) with every Graph request taking
// BENCH_PAGE_LATENCY (default 1 s) and the simulator enforcing Graph's
// resource-unit budget for the tenant size (8,000 RU per 10 s). Target:
// 1M users within 2 minutes (paging one page after another takes ~17), and
// within 1.25× of the optimum for the worker count: the RU budget spent at
// its full rate or every worker busy the whole run, whichever is longer.
//
//	go test ./handler/audit -run XXX -bench ScanFullWallTime -benchtime 1x
func BenchmarkScanFullWallTime(b *testing.B) {
	n := envInt("BENCH_USERS", 1_000_000)
	latency := time.Second
	if d, err := time.ParseDuration(os.Getenv("BENCH_PAGE_LATENCY")); err == nil {
		latency = d
	}
	workers := envInt("BENCH_WORKERS", 16)
	for i := 0; i < b.N; i++ {
		sim := graphsim.Start(b, graphsim.Options{Seed: 1, Users: n, Mix: benchMix})
		sim.Tenant().SetLatency(latency)
		sim.Tenant().SetBudget(graphsim.DefaultBudget(n), 10*time.Second)
		sink := &countSink{}
		dir, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(), Pin: sim.Tenant().FirstAppPin, Owner: graphsim.Caller})
		if err != nil {
			b.Fatal(err)
		}
		job := &audit.Job{Directory: dir, Checkpoints: inmem.NewCheckpoints(), Events: sink, Scope: domain.ScopeAll,
			Workers: workers, Budget: time.Hour, ProgressEvery: time.Hour}
		start := time.Now()
		rep, err := job.Run(context.Background(), audit.Request{})
		wall := time.Since(start)
		if err != nil || !rep.Complete || rep.UsersScanned != int64(n) {
			b.Fatalf("scan: %v (complete %v, %d of %d users)", err, rep != nil && rep.Complete, rep.UsersScanned, n)
		}
		st := sim.Tenant().Stats()
		pages := (n + 998) / 999
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(rep.Pages), "pages")
		b.ReportMetric(float64(rep.Shards), "shards")
		b.ReportMetric(float64(st.Throttled), "throttled")
		b.ReportMetric(float64(sink.n.Load()), "events")
		// One page after another would take pages × latency.
		b.ReportMetric(float64(pages)*latency.Seconds()/wall.Seconds(), "speedup-vs-serial")
		// The optimum: the simulator's RU budget spent at its full rate
		// (throttle bound), or every worker busy for the whole run
		// (latency bound), whichever is longer.
		throttleBound := float64(st.ResourceUnits) / (float64(graphsim.DefaultBudget(n)) / 10)
		latencyBound := float64(rep.Pages) / float64(workers) * latency.Seconds()
		b.ReportMetric(throttleBound, "throttle-bound-s")
		b.ReportMetric(latencyBound, "latency-bound-s")
		b.ReportMetric(wall.Seconds()/max(throttleBound, latencyBound), "wall/optimum")
		b.ReportMetric(wall.Seconds()/120, "wall/target")
		sim.Close()
	}
}

// BenchmarkScanRSS runs a whole audit (scope all, ~5% problem users) in a
// child process against the simulator in this one, at 100k and 1M users,
// and reports the child's peak RSS (VmHWM). Target: ≤ 32 MiB at 1M, flat
// from 100k to 1M.
//
//	go test ./handler/audit -run XXX -bench ScanRSS -benchtime 1x
func BenchmarkScanRSS(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if s := os.Getenv("BENCH_RSS_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, _ := strconv.Atoi(f)
			sizes = append(sizes, n)
		}
	}
	for i := 0; i < b.N; i++ {
		var peaks []float64
		mix := benchMix
		if os.Getenv("BENCH_RSS_MIX") == "clean" {
			mix = graphsim.Mix{} // no findings: what the scan itself costs
		}
		for _, n := range sizes {
			sim := graphsim.Start(b, graphsim.Options{Seed: 2, Users: n, Mix: mix})
			res := runChild(b, sim, n, aircallChildEnv(b, sim, n)...)
			sim.Close()
			mib := float64(res.VmHWMKiB) / 1024
			peaks = append(peaks, mib)
			b.ReportMetric(mib, "rss-MiB-"+short(n))
			b.ReportMetric(res.UsersPerSec, "users/s-"+short(n))
			b.Logf("%s users: %+v", short(n), res)
		}
		if len(peaks) > 1 {
			b.ReportMetric(peaks[len(peaks)-1]/peaks[0], "rss-growth")
		}
	}
}

func short(n int) string {
	if n%1_000_000 == 0 {
		return strconv.Itoa(n/1_000_000) + "M"
	}
	return strconv.Itoa(n/1000) + "k"
}

type childResult struct {
	Users       int64   `json:"users"`
	Events      int64   `json:"events"`
	UsersPerSec float64 `json:"usersPerSec"`
	VmHWMKiB    int64   `json:"vmHWMKiB"`
	// Go runtime figures at the end, MiB: heap obtained from the OS, in
	// use, and everything the runtime holds.
	HeapSysMiB   float64 `json:"heapSysMiB"`
	HeapInuseMiB float64 `json:"heapInuseMiB"`
	SysMiB       float64 `json:"sysMiB"`
	NumGC        uint32  `json:"numGC"`
}

// childPin is the simulated tenant's pinned app, as JSON for the child; "{}"
// when the tenant has no app (the scan benchmarks' tenants: the audit then
// notes that the app is not found and checks no assignment, as before
// pinning).
func childPin(sim *graphsim.Server) string {
	apps := sim.Tenant().Apps()
	if len(apps) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(apps[0].Pin())
	return string(b)
}

// runChild runs TestAuditChild in a new process of this test binary.
func runChild(tb testing.TB, sim *graphsim.Server, n int, extra ...string) childResult {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAuditChild$", "-test.v")
	cmd.Env = append(append(os.Environ(), extra...), "AUDIT_CHILD=1", "AUDIT_CHILD_GRAPH="+sim.URL(), "AUDIT_CHILD_PIN="+childPin(sim), "AUDIT_CHILD_USERS="+strconv.Itoa(n),
		"IDENTITY_ENDPOINT="+sim.IdentityEndpoint(), "IDENTITY_HEADER="+sim.IdentityHeader())
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("child audit: %v\n%s", err, out)
	}
	if os.Getenv("AUDIT_CHILD_ECHO") != "" { // e.g. with GODEBUG=gctrace=1
		tb.Logf("child output:\n%s", out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "CHILD-RESULT "); i >= 0 {
			rest := line[i+len("CHILD-RESULT "):]
			var r childResult
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				tb.Fatal(err)
			}
			return r
		}
	}
	tb.Fatalf("child printed no result:\n%s", out)
	return childResult{}
}

// TestAuditChild is the child of BenchmarkScanRSS: the audit alone in its
// process, with the managed-identity credential (azidentity) of the
// simulator. It is skipped unless AUDIT_CHILD=1.
func TestAuditChild(t *testing.T) {
	if os.Getenv("AUDIT_CHILD") != "1" {
		t.Skip("child process of BenchmarkScanRSS")
	}
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	var pin domain.PinnedApp
	if err := json.Unmarshal([]byte(os.Getenv("AUDIT_CHILD_PIN")), &pin); err != nil {
		t.Fatal(err)
	}
	dir, err := graphrest.New(graphrest.Options{BaseURL: os.Getenv("AUDIT_CHILD_GRAPH"), Credential: cred, Owner: graphsim.Caller,
		Pin: func(context.Context) (domain.PinnedApp, error) {
			if pin.AppID == "" {
				return pin, domain.NotPinned("")
			}
			return pin, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	sink := &countSink{}
	job := &audit.Job{Directory: dir, Checkpoints: inmem.NewCheckpoints(), Events: sink, Scope: domain.ScopeAll,
		Workers: 8, Budget: time.Hour, ProgressEvery: time.Hour}
	childAircall(t, job)
	rep, err := job.Run(context.Background(), audit.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(envInt("AUDIT_CHILD_USERS", 0)); rep.UsersScanned != want {
		t.Fatalf("scanned %d users, want %d", rep.UsersScanned, want)
	}
	if p := os.Getenv("AUDIT_CHILD_HEAPPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			runtime.GC()
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const mib = 1 << 20
	b, _ := json.Marshal(childResult{Users: rep.UsersScanned, Events: sink.n.Load(), UsersPerSec: rep.UsersPerSec, VmHWMKiB: vmHWM(),
		HeapSysMiB: float64(ms.HeapSys) / mib, HeapInuseMiB: float64(ms.HeapInuse) / mib, SysMiB: float64(ms.Sys) / mib, NumGC: ms.NumGC})
	t.Log("CHILD-RESULT " + string(b))
}

// vmHWM reads the process's peak resident set size in KiB.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
