// Command bench measures aircall-entra-sso against the targets in README "Performance"
// and prints one table, each figure beside the baseline it is judged by,
// measured in the same run. `make bench` runs it (with Azurite and the
// Service Bus peer up) and writes the table to bench-results.md.
//
// Every figure is a measurement of this run on this machine; nothing is
// copied from an earlier run.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/devhost"
)

// Row is one line of the results table.
type Row struct {
	What     string
	Figure   string
	Baseline string
	Ratio    string
	Target   string
	Verdict  string
}

// measure is one benchmark; it appends rows.
type measure struct {
	name string
	run  func(b *bench) ([]Row, error)
	// expect are the metric units (the last word of a row's What) the
	// measure must report; a run that lacks one fails the bench.
	expect []string
}

// allMeasures is every measure, in the table's order.
func allMeasures() []measure {
	ms := []measure{{name: "startup", run: measureStartup}, {name: "webhook", run: measureWebhook}}
	return append(ms, goMeasures()...)
}

// missing returns the expected units no row reports.
func (m measure) missing(rows []Row) []string {
	var out []string
	for _, unit := range m.expect {
		found := false
		for _, r := range rows {
			if f := strings.Fields(r.What); len(f) > 0 && f[len(f)-1] == unit {
				found = true
			}
		}
		if !found {
			out = append(out, unit)
		}
	}
	return out
}

type bench struct {
	tmp     string
	appRoot string
	quick   bool
	log     io.Writer
}

func main() {
	out := flag.String("out", "bench-results.md", "file to write the table to")
	only := flag.String("only", "", "comma-separated measure names to run (default: all)")
	quick := flag.Bool("quick", false, "smaller sizes, for a smoke run")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "bench")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	b := &bench{tmp: tmp, quick: *quick, log: os.Stderr}
	fmt.Fprintln(b.log, "building the handler and the helper binaries…")
	if b.appRoot, err = devhost.AssembleAppRoot(filepath.Join(tmp, "app")); err != nil {
		fail(err)
	}
	rows, failed := b.runAll(*only)
	table := render(rows)
	fmt.Print(table)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			fail(err)
		}
		fmt.Fprintf(b.log, "table written to %s\n", *out)
	}
	if len(failed) > 0 {
		// Loudly: a row the table should hold is missing.
		fail(fmt.Errorf("%d measure(s) did not report every expected row:\n  %s", len(failed), strings.Join(failed, "\n  ")))
	}
}

// runAll runs the measures (only those named in only, when set) and
// returns the rows and, for each measure that failed or lacks an expected
// row, a line saying so.
func (b *bench) runAll(only string) (rows []Row, failed []string) {
	return b.runMeasures(allMeasures(), only)
}

// runMeasures is runAll over ms.
func (b *bench) runMeasures(ms []measure, only string) (rows []Row, failed []string) {
	for _, m := range ms {
		if only != "" && !contains(strings.Split(only, ","), m.name) {
			continue
		}
		fmt.Fprintf(b.log, "measuring %s…\n", m.name)
		start := time.Now()
		r, err := m.run(b)
		if err == nil && len(r) == 0 {
			err = fmt.Errorf("no row")
		}
		if err == nil {
			if miss := m.missing(r); len(miss) > 0 {
				err = fmt.Errorf("no row for %s", strings.Join(miss, ", "))
			}
		}
		if err != nil {
			rows = append(rows, r...)
			rows = append(rows, Row{What: m.name, Figure: "error: " + err.Error(), Verdict: "**not measured**"})
			failed = append(failed, m.name+": "+firstLine(err.Error()))
			continue
		}
		fmt.Fprintf(b.log, "  %s done in %s\n", m.name, time.Since(start).Round(time.Second))
		rows = append(rows, r...)
	}
	return rows, failed
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func render(rows []Row) string {
	var sb strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&sb, "Measured %s on %s (%d cores, %s/%s, %s).\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	sb.WriteString("| measure | figure | baseline (same run) | ratio | target | verdict |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s |\n", r.What, r.Figure, r.Baseline, r.Ratio, r.Target, r.Verdict)
	}
	return sb.String()
}

// goBuild builds a main package of the module into the bench's temp folder.
func (b *bench) goBuild(pkg, name string) (string, error) {
	out := filepath.Join(b.tmp, "bin", name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = devhost.RepoRoot()
	if o, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, o)
	}
	return out, nil
}

func verdict(ok bool) string {
	if ok {
		return "meets"
	}
	return "**misses**"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
