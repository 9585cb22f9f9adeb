package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/devenv/devhost"
)

// goBenchmark is a Go benchmark whose reported metrics go into the table:
// each measures a figure and its baseline in the same run. expect are the
// metric units it must report (see measure.expect).
type goBenchmark struct {
	name, pkg, bench, benchtime string
	env                         []string
	quickEnv                    []string
	expect                      []string
}

// goBenchmarks lists them, in the table's order.
func goBenchmarks() []goBenchmark {
	return []goBenchmark{
		{"scan-cpu-100k", "./handler/graph/graphrest", "^BenchmarkScanRatios$", "1x", []string{"BENCH_USERS=100000"}, []string{"BENCH_USERS=20000"}, []string{"pager/plain", "sdk/pager"}},
		{"scan-cpu", "./handler/graph/graphrest", "^BenchmarkScanRatios$", "1x", []string{"BENCH_USERS=1000000"}, []string{"BENCH_USERS=100000"}, []string{"pager/plain", "sdk/pager"}},
		{"scan-rss", "./handler/audit", "^BenchmarkScanRSS$", "1x", []string{"BENCH_RSS_SIZES=100000,1000000"}, []string{"BENCH_RSS_SIZES=20000,100000"}, []string{"rss-growth"}},
		{"scan-wall", "./handler/audit", "^BenchmarkScanFullWallTime$", "1x", []string{"BENCH_PAGE_LATENCY=200ms"}, []string{"BENCH_PAGE_LATENCY=50ms"}, []string{"wall/optimum", "wall/target"}},
		{"scan-assigned-wall", "./handler/audit", "^BenchmarkScanAssignedWallTime$", "1x", []string{"BENCH_PAGE_LATENCY=200ms"}, []string{"BENCH_USERS=100000", "BENCH_PAGE_LATENCY=50ms"},
			[]string{"assigned-wall/optimum", "assigned-1s-wall/target", "all-wall/optimum", "all-1s-wall/target"}},
		{"scan-delta", "./handler/audit", "^BenchmarkDeltaVsFull$", "1x", []string{"BENCH_USERS=1000000", "BENCH_PAGE_LATENCY=50ms"}, []string{"BENCH_USERS=100000", "BENCH_PAGE_LATENCY=50ms"}, []string{"delta-requests/full-requests"}},
		{"publish", "./handler/servicebus", "^BenchmarkPublish100$", "20x", nil, nil, []string{"events/s", "ms/publish-100"}},
		{"publish-rate", "./handler/servicebus", "^BenchmarkPublishRate$", "1x", nil, nil, []string{"batch/raw"}},
		{"aircall-list", "./handler/aircall", "^BenchmarkListRatios$", "1x", []string{"BENCH_AIRCALL_USERS=10000", "BENCH_AIRCALL_RATE=100"}, []string{"BENCH_AIRCALL_USERS=10000", "BENCH_AIRCALL_RATE=200"}, []string{"requests/min-requests"}},
	}
}

// goMeasures turns the Go benchmarks into measures.
func goMeasures() []measure {
	var ms []measure
	for _, gb := range goBenchmarks() {
		ms = append(ms, measure{name: gb.name, expect: gb.expect, run: func(b *bench) ([]Row, error) {
			env := gb.env
			if b.quick {
				env = gb.quickEnv
			}
			return runGoBench(gb.pkg, gb.bench, gb.benchtime, env)
		}})
	}
	return ms
}

// runGoBench runs one Go benchmark and turns each reported metric into a row.
func runGoBench(pkg, bench, benchtime string, env []string) ([]Row, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", bench, "-benchtime", benchtime, "-count", "1", "-timeout", "60m", pkg)
	cmd.Dir = devhost.RepoRoot()
	cmd.Env = append(append(os.Environ(), env...), "DEVENV_REQUIRED=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench %s %s: %v\n%s", bench, pkg, err, tail(out.String(), 2000))
	}
	label := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "BENCH_USERS="); ok {
			label = " (" + v + " users)"
		}
	}
	var rows []Row
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		// Benchmark-N  iterations  value unit  value unit …
		type metric struct {
			unit string
			v    float64
		}
		var ms []metric
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil && f[i+1] != "ns/op" {
				ms = append(ms, metric{f[i+1], v})
			}
		}
		// pair finds the metrics "a-x" and "b-x" (the same x when there is
		// one, e.g. cpu-ns/user, else the first of each).
		pair := func(a, b string) (ma, mb metric, ok bool) {
			var exactA, exactB *metric
			for i := range ms {
				switch ms[i].unit {
				case a:
					exactA = &ms[i]
				case b:
					exactB = &ms[i]
				}
			}
			if exactA != nil && exactB != nil {
				return *exactA, *exactB, true
			}
			var firstA, firstB *metric
			for i := range ms {
				switch {
				case strings.HasPrefix(ms[i].unit, a+"-") && firstA == nil:
					firstA = &ms[i]
				case strings.HasPrefix(ms[i].unit, b+"-") && firstB == nil:
					firstB = &ms[i]
				}
			}
			var found []metric // a-x, b-x pairs, CPU time first
			for _, x := range ms {
				if suffix, isA := strings.CutPrefix(x.unit, a+"-"); isA {
					for _, y := range ms {
						if y.unit == b+"-"+suffix {
							if strings.Contains(suffix, "cpu") {
								return x, y, true
							}
							found = append(found, x, y)
						}
					}
				}
			}
			if len(found) > 0 {
				return found[0], found[1], true
			}
			if firstA == nil || firstB == nil {
				return metric{}, metric{}, false
			}
			return *firstA, *firstB, true
		}
		name := strings.TrimSuffix(f[0], "-2") + label
		for _, m := range ms {
			row := Row{What: name + " " + m.unit, Figure: num(m.v), Baseline: "—", Target: targetFor(m.unit), Verdict: verdictFor(m.unit, m.v)}
			// A ratio "a/b" is shown as the figure a beside its baseline b
			// when the benchmark reports both (e.g. pager-cpu-ns/user and
			// plain-cpu-ns/user for pager/plain).
			if a, b, ok := strings.Cut(m.unit, "/"); ok {
				if ma, mb, ok := pair(a, b); ok {
					row.Figure = strings.TrimSpace(a + " " + num(ma.v) + " " + strings.TrimPrefix(strings.TrimPrefix(ma.unit, a), "-"))
					row.Baseline = strings.TrimSpace(b + " " + num(mb.v) + " " + strings.TrimPrefix(strings.TrimPrefix(mb.unit, b), "-"))
					row.Ratio = num(m.v)
				}
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s reported no metric:\n%s", bench, tail(out.String(), 2000))
	}
	return rows, nil
}

// targets maps a metric unit to its target (README, "Performance"; ratio metrics only).
var targets = map[string]struct {
	text string
	ok   func(float64) bool
}{
	"pager/plain":                  {"≤ 1.2", func(v float64) bool { return v <= 1.2 }},
	"sdk/pager":                    {"≥ 10", func(v float64) bool { return v >= 10 }},
	"wall/target":                  {"≤ 1 (1M users in 2 min at 1 s/page)", func(v float64) bool { return v <= 1 }},
	"rss-growth":                   {"flat (≤ 1.25)", func(v float64) bool { return v <= 1.25 }},
	"rss-MiB-1M":                   {"≤ 32 MiB", func(v float64) bool { return v <= 32 }},
	"wall/optimum":                 {"≤ 1.25", func(v float64) bool { return v <= 1.25 }},
	"assigned-wall/optimum":        {"≤ 1.25 (scope assigned, 3 groups holding 60 % of the users)", func(v float64) bool { return v <= 1.25 }},
	"all-wall/optimum":             {"≤ 1.25", func(v float64) bool { return v <= 1.25 }},
	"assigned-1s-wall/target":      {"≤ 1 (projected to 1 s per request: ≤ 120 s)", func(v float64) bool { return v <= 1 }},
	"all-1s-wall/target":           {"≤ 1 (projected to 1 s per request: ≤ 120 s)", func(v float64) bool { return v <= 1 }},
	"batch/raw":                    {"≥ 0.5 (no design target; ours)", func(v float64) bool { return v >= 0.5 }},
	"delta-requests/full-requests": {"≤ 0.03 (0.5 % of users, 0.1 % of memberships changed)", func(v float64) bool { return v <= 0.03 }},
	"requests/min-requests":        {"≤ 1.1 (Aircall: ⌈users/50⌉ requests)", func(v float64) bool { return v <= 1.1 }},
	"wall/bound":                   {"≤ 1.1 (Aircall: the rate-limit bound)", func(v float64) bool { return v <= 1.1 }},
}

// num formats a measured value with four significant digits.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func targetFor(unit string) string {
	if t, ok := targets[unit]; ok {
		return t.text
	}
	return "—"
}

func verdictFor(unit string, v float64) string {
	if t, ok := targets[unit]; ok {
		return verdict(t.ok(v))
	}
	return "reported"
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
