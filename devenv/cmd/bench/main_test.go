package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestMissingRowsFailLoudly: a measure that errs, reports nothing, or lacks
// one of the rows it must report is listed as failed (make bench then
// exits non-zero after writing the table); a complete one is not.
func TestMissingRowsFailLoudly(t *testing.T) {
	rows := func(units ...string) []Row {
		var out []Row
		for _, u := range units {
			out = append(out, Row{What: "BenchmarkX (100 users) " + u})
		}
		return out
	}
	ms := []measure{
		{name: "complete", expect: []string{"a/b", "events/s"}, run: func(*bench) ([]Row, error) { return rows("a/b", "events/s", "extra"), nil }},
		{name: "lacking", expect: []string{"a/b", "events/s"}, run: func(*bench) ([]Row, error) { return rows("a/b"), nil }},
		{name: "empty", run: func(*bench) ([]Row, error) { return nil, nil }},
		{name: "erring", run: func(*bench) ([]Row, error) { return nil, errors.New("boom\nsecond line") }},
	}
	b := &bench{log: io.Discard}
	got, failed := b.runMeasures(ms, "")
	if len(failed) != 3 || !strings.HasPrefix(failed[0], "lacking: no row for events/s") ||
		!strings.HasPrefix(failed[1], "empty: no row") || failed[2] != "erring: boom" {
		t.Errorf("failed: %q", failed)
	}
	notMeasured := 0
	for _, r := range got {
		if r.Verdict == "**not measured**" {
			notMeasured++
		}
	}
	if notMeasured != 3 {
		t.Errorf("%d rows say not measured, want 3: %+v", notMeasured, got)
	}
	if _, failed := b.runMeasures(ms, "complete"); len(failed) != 0 {
		t.Errorf("-only complete: %q", failed)
	}
	for _, m := range allMeasures() {
		if strings.HasPrefix(m.name, "scan") || m.name == "publish" {
			if len(m.expect) == 0 {
				t.Errorf("measure %s expects no row", m.name)
			}
		}
	}
}
