// Package audit is the nightly sign-in audit: it finds the users who would
// fail to sign in to Aircall through Entra ID (the help article's
// Troubleshooting section, before users hit it) and publishes one
// remediation event per new or changed problem.
//
// A run reads every user (sharded by userPrincipalName range for large
// tenants, within Graph's throttling budget) or, after the first run, only
// the users changed since (delta query; an expired delta link means a full
// resync). Scope "assigned" keeps the users who may sign in: assigned
// directly or direct members of an assigned group (nested groups do not
// grant access); scope "all" keeps everyone. Each user goes through package
// rules (shared with the diagnose job); app drift and certificate expiry
// come from app-wide checks it is given. A checkpoint after every page lets
// an invocation that nears its time budget stop and the next continue;
// findings already published are remembered so a rerun publishes nothing
// twice. Every run stores a report (JSON, CSV, HTML).
//
// One invocation (invocation.go) is four parts with one job each: the
// reader (read.go) pages users, the committer (commit.go) publishes and
// records each page, the checkpointer (checkpoint.go) saves the
// checkpoint and the progress reporter (progress.go) reports.
//
// It reads through domain ports only: it must not know about HTTP, SDKs,
// Blob or Service Bus, and it never changes the directory.
package audit

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Defaults.
const (
	DefaultWorkers     = 32
	DefaultBudget      = 8 * time.Minute
	DefaultFullEvery   = 6 * 24 * time.Hour // delta links live 7 days
	DefaultRowLimit    = 2000
	DefaultSmallTenant = 20000
	DefaultKey         = "audit"
)

// Job is the audit. Fields are set once; Run may be called repeatedly but
// not concurrently (Lock keeps instances apart).
type Job struct {
	// Directory reads users, assignments and group members. Required.
	Directory domain.BulkDirectory
	// Checkpoints keeps the run checkpoint and the open findings. Required.
	Checkpoints domain.CheckpointStore
	// Events receives the remediation events. Required unless every run is
	// a dry run.
	Events domain.EventSink
	// Outbox delivers the events earlier runs set aside (Service Bus was
	// down) before a run publishes; nil: nothing is set aside.
	Outbox domain.OutboxDrainer
	// Reports stores each run's report; nil stores none.
	Reports domain.ReportStore
	// Index keeps the run summary index the report page reads: each
	// completed, non-dry run is added (index.go). Nil keeps none.
	Index domain.ReportLibrary
	// Lock keeps two runs apart; nil runs without a lock (tests, CLI).
	Lock domain.Lock
	// Claim reads the app's emailaddress claim configuration; nil means
	// Entra's default (user.mail).
	Claim func(ctx context.Context) (domain.ClaimConfig, error)
	// Checks are the app-wide checks by name (domain.CheckAppDrift,
	// domain.CheckCertificate).
	// A failing check is noted in the report; it does not fail the run.
	Checks map[string]domain.AppCheck
	// Aircall and AircallSnapshots run the Aircall pass (aircall.go): nil
	// turns it off (no credentials), which the report notes.
	// AircallFullEvery is how often the snapshot is listed in full
	// (default weekly).
	Aircall          domain.AircallDirectory
	AircallSnapshots domain.AircallSnapshotStore
	AircallFullEvery time.Duration
	// People looks one person up by UPN or mail: a delta run checks again
	// the people of the Aircall users created since the last run
	// (aircalldelta.go). nil leaves them to the next full scan.
	People domain.UserDirectory
	// Scope is "assigned" (default) or "all".
	Scope domain.AuditScope
	// Workers is the number of shards read at once (default 32); it is
	// lowered while Graph throttles.
	Workers int
	// Budget is how long one invocation may scan before it checkpoints and
	// stops (default 8 minutes).
	Budget time.Duration
	// FullEvery forces a full scan when the last one is older (default 6
	// days, inside the 7-day life of delta links).
	FullEvery time.Duration
	// Key prefixes the checkpoint keys and names the lock (default "audit").
	Key string
	// RowLimit caps the findings listed in a report (default 2000).
	RowLimit int
	// SmallTenant is the user count up to which a full scan is one range.
	SmallTenant int
	// SaveEvery is the least time between two checkpoint saves. The default,
	// 0, saves as soon as a page is committed and the previous save is done
	// (saves coalesce while one is in flight), so a crash re-reads only the
	// pages in flight and those committed during one save.
	SaveEvery time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives the run's decisions and progress; nil discards.
	Log *slog.Logger
	// Progress, when set, is called with the run's progress every
	// ProgressEvery (default 10 s) and at the end (for a terminal).
	Progress      func(Progress)
	ProgressEvery time.Duration

	active atomic.Pointer[invocation]
}

// OnThrottle tells the running scan that Graph throttled a request (429 or
// 503 with the Retry-After it asked for), so it reads fewer shards at once
// for a while. Wire it to the pager's throttle hook; safe at any time.
func (j *Job) OnThrottle(status int, retryAfter time.Duration) {
	if s := j.active.Load(); s != nil {
		if l := s.read.limiter(); l != nil {
			l.throttle(time.Now())
		}
	}
}

// Request asks for one audit invocation.
type Request struct {
	// DryRun scans and reports without publishing events or saving state;
	// it takes no lock (so it never makes the nightly run skip) and stores
	// no report unless SaveReport.
	DryRun bool `json:"dryRun"`
	// SaveReport stores a dry run's report too (a real run always stores it).
	SaveReport bool `json:"saveReport"`
	// Full forces a full scan instead of a delta.
	Full bool `json:"full"`
	// IfDue does nothing (Report.Skipped) when no run is in progress and
	// the last one completed less than MinInterval ago: the timer fires
	// several times a night so a large tenant's run can continue, and the
	// later firings have nothing to do.
	IfDue bool `json:"-"`
	// Scope, when valid, replaces the job's Scope for this invocation, and
	// Progress the job's Progress and ProgressEvery: the CLI's --scope and
	// terminal line, without changing the shared job.
	Scope    domain.AuditScope `json:"-"`
	Progress *ProgressHook     `json:"-"`
}

// ProgressHook receives an invocation's progress every Every (default 10 s)
// and at the end.
type ProgressHook struct {
	Func  func(Progress)
	Every time.Duration
}

// MinInterval is how recent a completed run makes an IfDue request skip.
const MinInterval = 20 * time.Hour

// Progress is a run's progress so far (this invocation).
type Progress struct {
	Mode         string        `json:"mode"`
	Pages        int           `json:"pages"`
	Users        int64         `json:"users"`
	UsersPerSec  float64       `json:"usersPerSecond"`
	Published    int           `json:"published"`
	RangesDone   int           `json:"rangesDone"`
	Ranges       int           `json:"ranges"`
	Workers      int           `json:"workers"`
	Throttled    int           `json:"throttled"`
	Elapsed      time.Duration `json:"elapsed"`
	EstimatedAll int64         `json:"estimatedUsers"`
	Done         bool          `json:"done"`
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

func (j *Job) log() *slog.Logger {
	if j.Log != nil {
		return j.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (j *Job) key(k string) string {
	p := j.Key
	if p == "" {
		p = DefaultKey
	}
	return p + "/" + k
}

func (j *Job) workers() int {
	if j.Workers > 0 {
		return j.Workers
	}
	return DefaultWorkers
}

func (j *Job) budget() time.Duration {
	if j.Budget > 0 {
		return j.Budget
	}
	return DefaultBudget
}

func (j *Job) fullEvery() time.Duration {
	if j.FullEvery > 0 {
		return j.FullEvery
	}
	return DefaultFullEvery
}

func (j *Job) saveEvery() time.Duration {
	return max(j.SaveEvery, 0)
}

func (j *Job) rowLimit() int {
	if j.RowLimit > 0 {
		return j.RowLimit
	}
	return DefaultRowLimit
}

func (j *Job) smallTenant() int {
	if j.SmallTenant > 0 {
		return j.SmallTenant
	}
	return DefaultSmallTenant
}

func (j *Job) scope() domain.AuditScope {
	if j.Scope.Valid() {
		return j.Scope
	}
	return domain.ScopeAssigned
}

// Run runs one invocation: it continues the run in progress or starts one
// (full the first time, when asked, or when the last full scan is older
// than FullEvery; delta otherwise), scans until done or the time budget is
// near, and returns the invocation's report. An incomplete report
// (Complete false) means the next invocation continues from the checkpoint.
func (j *Job) Run(ctx context.Context, req Request) (*Report, error) {
	if j.Directory == nil || j.Checkpoints == nil || (j.Events == nil && !req.DryRun) {
		return nil, domain.Errorf(domain.EINTERNAL, "audit: the job needs a directory, a checkpoint store and an event sink")
	}
	start := j.now()
	if j.Lock != nil && !req.DryRun {
		held, release, err := j.holdLock(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		ctx = held
	}
	known, knownETag, err := j.loadKnown(ctx)
	if err != nil {
		return nil, err
	}
	st, runETag, skipped, err := j.resume(ctx, req, known, start)
	if err != nil || skipped != nil {
		return skipped, err
	}
	s := j.newInvocation(req, known.findings, start, runETag)
	j.active.Store(s)
	defer j.active.Store(nil)
	if err := s.begin(ctx, st, req.Full, known); err != nil {
		return nil, err
	}
	if !req.DryRun {
		j.drainOutbox(ctx)
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	err = s.scan(ctx)
	if errors.Is(err, domain.ErrDeltaExpired) {
		if err := s.resync(ctx, known); err != nil {
			return nil, err
		}
		err = s.scan(ctx)
	}
	if err != nil && !errors.Is(err, errBudget) {
		s.saveAfterFailure(ctx)
		if lost := domain.LeaseLost(ctx); lost != nil {
			return nil, lost
		}
		return nil, err
	}
	complete := err == nil
	if err := s.aircallFinish(ctx, complete); err != nil {
		return nil, err
	}
	if err := s.saver.finish(ctx, complete, known, knownETag); err != nil {
		return nil, err
	}
	rep := s.report(complete)
	if !req.DryRun || req.SaveReport {
		j.storeReport(ctx, rep)
	}
	j.log().Info("audit: invocation done", "runId", rep.RunID, "mode", rep.Mode, "complete", rep.Complete,
		"invocation", rep.Invocation, "pages", rep.Pages, "usersScanned", rep.UsersScanned, "usersChecked", rep.UsersChecked,
		"usersPerSecond", int(rep.UsersPerSec), "published", rep.Published, "openFindings", rep.Counts, "dryRun", rep.DryRun)
	return rep, nil
}

// holdLock takes the audit lock for the invocation. A short lease (renewed
// every 5 s): a killed invocation's lock frees itself within 15 s. The
// returned context is cancelled when a renewal fails.
func (j *Job) holdLock(ctx context.Context) (context.Context, func(), error) {
	held, release, err := domain.HoldLease(ctx, j.Lock, j.key("lock"), 15*time.Second)
	if err != nil {
		if domain.IsCode(err, domain.ECONFLICT) {
			return nil, nil, domain.Wrap(domain.ECONFLICT, err, "another audit is running; this invocation does nothing (the running one continues)")
		}
		return nil, nil, err
	}
	return held, func() {
		if lost := domain.LeaseLost(held); lost != nil {
			j.log().Warn("audit: could not renew the audit lock", "error", lost.Error())
		}
		if err := release(); err != nil {
			j.log().Warn("audit: could not release the audit lock (it expires by itself)", "error", err.Error())
		}
	}, nil
}

// resume loads the run in progress (none for a dry run). It returns a
// report instead when an IfDue request has nothing to do, and drops a delta
// run in progress when a full scan is asked for (runETag is then the
// version the new run's first checkpoint replaces).
func (j *Job) resume(ctx context.Context, req Request, known *knownState, start time.Time) (st *runState, runETag string, skipped *Report, err error) {
	if req.DryRun {
		return nil, "", nil, nil
	}
	if st, runETag, err = j.loadRun(ctx); err != nil {
		return nil, "", nil, err
	}
	log := j.log()
	if st == nil && req.IfDue && !known.CompletedAt.IsZero() && start.Sub(known.CompletedAt) < MinInterval {
		log.Info("audit: nothing to do: the last run completed recently", "lastRunId", known.LastRunID, "completedAt", known.CompletedAt)
		return nil, "", &Report{RunID: known.LastRunID, Skipped: true, Complete: true, StartedAt: start.UTC(), EndedAt: j.now().UTC(),
			Counts: known.findings.counts()}, nil
	}
	if st != nil && req.Full && st.Mode == ModeDelta {
		log.Info("audit: a full scan was asked for; dropping the delta run in progress", "runId", st.RunID)
		st = nil
	}
	return st, runETag, nil, nil
}

// drainOutbox delivers what an earlier run set aside while Service Bus was
// down, before this run publishes anything.
func (j *Job) drainOutbox(ctx context.Context) {
	if j.Outbox == nil {
		return
	}
	if _, err := j.Outbox.Drain(ctx); err != nil {
		j.log().Warn("audit: could not deliver the events waiting in the outbox; the next drain tries again", "error", err.Error())
	}
}

// storeReport stores the report; a failure is noted in it, not returned.
func (j *Job) storeReport(ctx context.Context, rep *Report) {
	if j.Reports == nil {
		return
	}
	where, err := j.Reports.PutReport(ctx, rep.Name(), renderReport(rep))
	if err != nil {
		j.log().Warn("audit: could not store the report", "error", err.Error())
		rep.Notes = append(rep.Notes, "report not stored: "+domain.ErrorMessage(err))
	} else {
		j.indexRun(ctx, rep)
	}
	rep.Locations = where
}
