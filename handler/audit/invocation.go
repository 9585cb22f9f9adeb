package audit

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// invocation is one call of Run, made of four parts with one job each: the
// reader reads pages or shards, the committer publishes and records each
// page, the checkpointer saves the checkpoint and the progress reporter
// reports. It prepares the evaluator the reader checks users with.
type invocation struct {
	j   *Job
	log *slog.Logger
	dry bool
	// scope is the request's scope when it names one, else the job's.
	scope domain.AuditScope
	start time.Time
	rec   *committer
	saver *checkpointer
	read  *reader
	prog  *progressReporter
}

// newInvocation wires the parts of one invocation; runETag is the version
// of the run checkpoint it continues ("" for none).
func (j *Job) newInvocation(req Request, known findingSet, start time.Time, runETag string) *invocation {
	log, dry := j.log(), req.DryRun
	scope := j.scope()
	if req.Scope.Valid() {
		scope = req.Scope
	}
	report, every := j.Progress, j.ProgressEvery
	if req.Progress != nil {
		report, every = req.Progress.Func, req.Progress.Every
	}
	rec := &committer{events: j.Events, dry: dry, rowLimit: j.rowLimit(), known: known, pending: map[uint64]struct{}{}}
	saver := &checkpointer{j: j, log: log, dry: dry, rec: rec, runETag: runETag}
	rec.committed = saver.markDirty
	read := &reader{j: j, deadline: start.Add(j.budget() * 9 / 10), rec: rec}
	return &invocation{j: j, log: log, dry: dry, scope: scope, start: start, rec: rec, saver: saver, read: read,
		prog: &progressReporter{j: j, log: log, start: start, rec: rec, read: read, report: report, every: every}}
}

// begin starts a run (st nil: full the first time, when asked, when the
// scope changed or the last full scan is older than FullEvery; delta
// otherwise) and saves its first checkpoint, or continues st.
func (s *invocation) begin(ctx context.Context, st *runState, full bool, known *knownState) error {
	j := s.j
	if st == nil {
		full = full || known.DeltaLink == "" || s.start.Sub(known.LastFull) >= j.fullEvery() || known.Scope != s.scope
		var err error
		if st, err = j.newRun(ctx, full, s.scope, known, s.start); err != nil {
			return err
		}
		s.rec.reset(st)
		if err := s.saver.saveNow(ctx); err != nil {
			return err
		}
	} else {
		s.rec.reset(st)
		s.log.Info("audit: continuing the run in progress", "runId", st.RunID, "mode", st.Mode, "invocation", st.Invocations+1,
			"pages", st.Pages, "users", st.UsersScanned)
	}
	st.Invocations++
	return nil
}

// prepare reads what every user's check needs (claim source, who is
// assigned) for the current run, starts the checkpoint saver and runs the
// app-wide checks once per run.
func (s *invocation) prepare(ctx context.Context) error {
	st := s.rec.state()
	eval := &evaluator{observed: s.j.now().UTC(), claim: domain.ClaimFromMail, scope: st.Scope, known: s.rec.known}
	// Who is assigned and the claim configuration are independent.
	var (
		accErr error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		eval.acc, accErr = s.j.accessFor(ctx, st, s.dry)
	}()
	if s.j.Claim != nil {
		c, err := s.j.Claim(ctx)
		switch {
		case err == nil:
			if c.Source.Valid() {
				eval.claim = c.Source
			}
		case domain.IsCode(err, domain.ENOTFOUND):
			s.rec.note("the Aircall app was not found: the email claim is assumed to come from user.mail (Entra's default)")
		default:
			<-done
			return fmt.Errorf("audit: read the app's email claim configuration: %w", err)
		}
	}
	<-done
	if accErr != nil {
		return fmt.Errorf("audit: read who is assigned to the Aircall app: %w", accErr)
	}
	acc := eval.acc
	if !acc.known {
		s.rec.note("the Aircall app was not found: assignment was not checked")
	}
	s.log.Info("audit: scope read", "directUsers", len(acc.direct), "groups", acc.groups, "groupMembers", len(acc.group),
		"fromLastFullScan", acc.saved, "claimSource", eval.claim)
	s.aircallPrepare(ctx, eval)
	s.read.eval = eval
	s.saver.start()
	return s.appChecks(ctx, st)
}

// appChecks runs the app-wide checks (drift, certificate) once per run.
func (s *invocation) appChecks(ctx context.Context, st *runState) error {
	if st.AppChecked {
		return nil
	}
	names := make([]string, 0, len(s.j.Checks))
	for n := range s.j.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	var all []domain.Finding
	failed := false
	for _, n := range names {
		fs, err := s.j.Checks[n](ctx)
		if err != nil {
			failed = true
			s.log.Warn("audit: app check failed", "check", n, "error", err.Error())
			s.rec.note(fmt.Sprintf("the %s check could not run: %s", n, domain.ErrorMessage(err)))
			continue
		}
		all = append(all, fs...)
	}
	known := s.rec.known
	return s.rec.commit(ctx, all, nil, func(*domain.Finding) uint64 { return appSubject }, func(st *runState) {
		st.AppChecked = true
		if failed {
			// Keep what the last run knew about the app rather than
			// forgetting (and later republishing) it.
			for k, e := range known {
				if e.subject() == appSubject {
					st.see(k, e)
				}
			}
			return
		}
		st.changed[appSubject] = struct{}{}
	})
}

// scan runs the full or delta scan until done (nil), the budget is reached
// (errBudget) or an error, reporting progress meanwhile.
func (s *invocation) scan(ctx context.Context) error {
	stopProgress := s.prog.loop()
	defer stopProgress()
	if s.rec.state().Mode == ModeDelta {
		return s.read.delta(ctx)
	}
	return s.read.full(ctx)
}

// resync replaces a delta run whose link expired with a new full run (same
// invocation count, marked Resynced), saves it and prepares it: a full scan
// reads who is assigned afresh, where the delta used the set the last full
// scan saved.
func (s *invocation) resync(ctx context.Context, known *knownState) error {
	old := s.rec.state()
	s.log.Warn("audit: the delta link expired (410 Gone); resynchronising with a full scan", "runId", old.RunID)
	st, err := s.j.newRun(ctx, true, old.Scope, known, s.j.now())
	if err != nil {
		return err
	}
	st.Invocations, st.Resynced = old.Invocations, true
	s.rec.reset(st)
	if err := s.saver.saveNow(ctx); err != nil {
		return err
	}
	s.saver.dropSegments(ctx, old)
	return s.prepare(ctx)
}

// saveAfterFailure keeps what was committed (pages whose events were
// accepted), so the next invocation continues from there.
func (s *invocation) saveAfterFailure(ctx context.Context) {
	_ = s.saver.stop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.saver.saveNow(sctx); err != nil {
		s.log.Warn("audit: could not save the checkpoint after the failure", "error", err.Error())
	}
}
