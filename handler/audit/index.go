package audit

import (
	"context"
	"encoding/json"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/report"
)

// indexRun adds a completed, non-dry run's summary to the run summary
// index, the one small document the report page reads for its trend and
// to find the latest run (docs/audit.md, "Reports"). It runs under the
// audit lock, after the report was stored; a failure is noted in the
// report, not returned: the run's work is done.
func (j *Job) indexRun(ctx context.Context, rep *Report) {
	if j.Index == nil || !rep.Complete || rep.DryRun {
		return
	}
	s := report.Summarize(report.Audit{
		Run:    report.Run{RunID: rep.RunID, Complete: rep.Complete, StartedAt: rep.StartedAt, EndedAt: rep.EndedAt},
		Counts: rep.Counts, Findings: rep.Findings, Truncated: rep.Truncated,
	})
	s.Report = rep.Name()
	var err error
	// A writer that moved the index on between the read and the write (an
	// operator's tool; runs hold the lock) costs one more round.
	for range 3 {
		if err = j.addToIndex(ctx, s); !domain.IsCode(err, domain.ECONFLICT) {
			break
		}
	}
	if err != nil {
		j.log().Warn("audit: could not add the run to the report index", "runId", rep.RunID, "error", err.Error())
		rep.Notes = append(rep.Notes, "run not added to the report index: "+domain.ErrorMessage(err))
	}
}

func (j *Job) addToIndex(ctx context.Context, s report.RunSummary) error {
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
	out, err := json.Marshal(x.Add(s))
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "audit: encode the report index")
	}
	_, err = j.Index.SaveRunIndex(ctx, out, etag)
	return err
}
