package audit

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/report"
)

// OpenListFile is the report file listing a completed run's open findings
// with their people (open.json), what the report page lists.
const OpenListFile = "open.json"

// OpenListLimit bounds the findings open.json lists (errors first): about
// 15 MB at the limit. Beyond it the list says Truncated and the page its
// counts only.
const OpenListLimit = 20000

// OpenList is open.json: the open findings of a completed run. The open
// finding set the audit keeps (knownState) holds 16-byte keys, not people,
// and a finding is listed in a report only by the invocation that first
// published it; so each completed run carries forward the previous run's
// list and its own invocations' findings, keeping those still open.
// Truncated is set when some open finding may be missing: beyond
// OpenListLimit, a report's rows capped at RowLimit, or no list from the
// run before (the first run after an upgrade).
type OpenList struct {
	RunID     string           `json:"runId"`
	Findings  []domain.Finding `json:"findings"`
	Truncated bool             `json:"truncated,omitempty"`
}

// indexRun stores a completed, non-dry run's open list and adds its
// summary to the run summary index, the one small document the report page
// reads for its trend and to find the run (docs/audit.md, "Reports"). It
// runs under the audit lock, after the report was stored; a failure is
// noted in the report, not returned: the run's work is done.
func (j *Job) indexRun(ctx context.Context, rep *Report) {
	if j.Index == nil || !rep.Complete || rep.DryRun {
		return
	}
	var err error
	// A writer that moved the index on between the read and the write (an
	// operator's tool; runs hold the lock) costs one more round.
	for range 3 {
		if err = j.addToIndex(ctx, rep); !domain.IsCode(err, domain.ECONFLICT) {
			break
		}
	}
	if err != nil {
		j.log().Warn("audit: could not add the run to the report index", "runId", rep.RunID, "error", err.Error())
		rep.Notes = append(rep.Notes, "run not added to the report index: "+domain.ErrorMessage(err))
	}
}

func (j *Job) addToIndex(ctx context.Context, rep *Report) error {
	data, etag, err := j.Index.LoadRunIndex(ctx)
	var x report.Index
	switch {
	case domain.IsCode(err, domain.ENOTFOUND):
		etag = ""
	case err != nil:
		return err
	default:
		if json.Unmarshal(data, &x) != nil {
			// A corrupt index costs the trend, never the run: start afresh.
			j.log().Warn("audit: the report index is unreadable; starting a new one")
			x = report.Index{}
		}
	}
	prev := ""
	for _, r := range x.Runs {
		if r.RunID != rep.RunID {
			prev = r.Report
		}
	}
	list := j.openList(ctx, rep, prev)
	js, _ := json.Marshal(list)
	if _, err := j.Reports.PutReport(ctx, rep.Name(), []domain.ReportFile{{Name: OpenListFile, ContentType: "application/json", Data: js}}); err != nil {
		return err
	}
	s := report.Summarize(report.Audit{
		Run:    report.Run{RunID: rep.RunID, Complete: rep.Complete, StartedAt: rep.StartedAt, EndedAt: rep.EndedAt},
		Counts: rep.Counts, Findings: list.Findings, Truncated: list.Truncated,
	})
	s.Report = rep.Name()
	out, err := json.Marshal(x.Add(s))
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "audit: encode the report index")
	}
	_, err = j.Index.SaveRunIndex(ctx, out, etag)
	return err
}

// openList is the run's open findings: this invocation's, its run's earlier
// invocations' and the previous run's list (report prev), each kept when
// the open finding set the run just saved still holds it.
func (j *Job) openList(ctx context.Context, rep *Report, prev string) OpenList {
	list := OpenList{RunID: rep.RunID, Findings: []domain.Finding{}, Truncated: rep.Truncated}
	s := j.active.Load()
	if s == nil {
		list.Truncated = true
		return list
	}
	s.rec.mu.Lock()
	open := s.rec.known
	s.rec.mu.Unlock()
	listed := map[uint64]bool{}
	add := func(fs []domain.Finding) {
		for _, f := range fs {
			if k := findingKey(f); !listed[k] {
				if _, ok := open[k]; ok {
					listed[k] = true
					list.Findings = append(list.Findings, f)
				}
			}
		}
	}
	add(rep.Findings)
	read := func(name, file string) {
		var earlier OpenList // report.json has the same names
		data, err := j.Index.ReadReportFile(ctx, name, file)
		if err == nil {
			err = json.Unmarshal(data, &earlier)
		}
		if err != nil {
			j.log().Warn("audit: a report the open list carries forward is unreadable", "report", name, "file", file, "error", err.Error())
		}
		list.Truncated = list.Truncated || err != nil || earlier.Truncated
		add(earlier.Findings)
	}
	for i := 1; i < rep.Invocation; i++ {
		read(rep.RunID+"-"+strconv.Itoa(i), "report.json")
	}
	if prev != "" {
		read(prev, OpenListFile)
	}
	slices.SortStableFunc(list.Findings, func(a, b domain.Finding) int {
		return cmp.Or(severityRank(a.Severity)-severityRank(b.Severity), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Subject, b.Subject))
	})
	if len(list.Findings) > OpenListLimit {
		list.Findings, list.Truncated = list.Findings[:OpenListLimit], true
	}
	return list
}
