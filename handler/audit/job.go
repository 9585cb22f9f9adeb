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
// It reads through domain ports only: it must not know about HTTP, SDKs,
// Blob or Service Bus, and it never changes the directory.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Defaults.
const (
	DefaultWorkers     = 16
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
	// Reports stores each run's report; nil stores none.
	Reports domain.ReportStore
	// Lock keeps two runs apart; nil runs without a lock (tests, CLI).
	Lock domain.Lock
	// Claim reads the app's emailaddress claim configuration; nil means
	// Entra's default (user.mail).
	Claim func(ctx context.Context) (domain.ClaimConfig, error)
	// Checks are the app-wide checks by name (domain.CheckAppDrift,
	// domain.CheckCertificate). A failing check is noted in the report; it
	// does not fail the run.
	Checks map[string]domain.AppCheck
	// Scope is "assigned" (default) or "all".
	Scope domain.AuditScope
	// Workers is the number of shards read at once (default 16); it is
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

	active atomic.Pointer[scanner]
}

// OnThrottle tells the running scan that Graph throttled a request (429 or
// 503 with the Retry-After it asked for), so it reads fewer shards at once
// for a while. Wire it to the pager's throttle hook; safe at any time.
func (j *Job) OnThrottle(status int, retryAfter time.Duration) {
	if s := j.active.Load(); s != nil {
		if l := s.limiterNow(); l != nil {
			l.throttle(time.Now())
		}
	}
}

// Request asks for one audit invocation.
type Request struct {
	// DryRun scans and reports without publishing events or saving state.
	DryRun bool `json:"dryRun"`
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

// scope is the invocation's scope: the request's, else the job's.
func (s *scanner) scope() domain.AuditScope {
	if s.req.Scope.Valid() {
		return s.req.Scope
	}
	return s.j.scope()
}

// progressTo is where the invocation's progress goes: the request's
// Progress, else the job's, and how often.
func (s *scanner) progressTo() (func(Progress), time.Duration) {
	if p := s.req.Progress; p != nil {
		return p.Func, p.Every
	}
	return s.j.Progress, s.j.ProgressEvery
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
	log := j.log()
	if j.Lock != nil {
		// A short lease (renewed every 5 s): a killed invocation's lock
		// frees itself within 15 s.
		lease, err := j.Lock.Acquire(ctx, j.key("lock"), 15*time.Second)
		if err != nil {
			if domain.IsCode(err, domain.ECONFLICT) {
				return nil, domain.Wrap(domain.ECONFLICT, err, "another audit is running; this invocation does nothing (the running one continues)")
			}
			return nil, err
		}
		stop := keepLease(lease, log)
		defer stop()
	}
	known, knownETag, err := j.loadKnown(ctx)
	if err != nil {
		return nil, err
	}
	var st *runState
	runETag := ""
	if !req.DryRun {
		st, runETag, err = j.loadRun(ctx)
		if err != nil {
			return nil, err
		}
		if st == nil && req.IfDue && !known.CompletedAt.IsZero() && start.Sub(known.CompletedAt) < MinInterval {
			log.Info("audit: nothing to do: the last run completed recently", "lastRunId", known.LastRunID, "completedAt", known.CompletedAt)
			return &Report{RunID: known.LastRunID, Skipped: true, Complete: true, StartedAt: start.UTC(), EndedAt: j.now().UTC(),
				Counts: known.findings.counts()}, nil
		}
		if st != nil && req.Full && st.Mode == ModeDelta {
			log.Info("audit: a full scan was asked for; dropping the delta run in progress", "runId", st.RunID)
			st = nil
		}
	}
	s := &scanner{j: j, req: req, log: log, known: known.findings, dry: req.DryRun, start: start,
		deadline: start.Add(j.budget() * 9 / 10), pending: map[uint64]struct{}{}, runETag: runETag}
	j.active.Store(s)
	defer j.active.Store(nil)
	if st == nil {
		full := req.Full || known.DeltaLink == "" || start.Sub(known.LastFull) >= j.fullEvery() || known.Scope != s.scope()
		if st, err = j.newRun(ctx, full, known, start, s); err != nil {
			return nil, err
		}
		s.st = st
		if err := s.saveNow(ctx); err != nil {
			return nil, err
		}
	} else {
		s.st = st
		log.Info("audit: continuing the run in progress", "runId", st.RunID, "mode", st.Mode, "invocation", st.Invocations+1,
			"pages", st.Pages, "users", st.UsersScanned)
	}
	st.Invocations++
	if !req.DryRun {
		// Deliver what an earlier run set aside while Service Bus was down
		// (the sink drains its outbox first on every Publish).
		if err := j.Events.Publish(ctx, nil); err != nil {
			log.Warn("audit: could not deliver the events waiting in the outbox; the next publish tries again", "error", err.Error())
		}
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	err = s.scan(ctx)
	if errors.Is(err, domain.ErrDeltaExpired) {
		log.Warn("audit: the delta link expired (410 Gone); resynchronising with a full scan", "runId", st.RunID)
		inv, old := st.Invocations, st
		if st, err = j.newRun(ctx, true, known, j.now(), s); err != nil {
			return nil, err
		}
		st.Invocations, st.Resynced = inv, true
		s.reset(st)
		if err := s.saveNow(ctx); err != nil {
			return nil, err
		}
		s.dropSegments(ctx, old)
		// A full scan reads who is assigned afresh (the delta used the set
		// the last full scan saved).
		acc, err := j.accessFor(ctx, st, s.dry)
		if err != nil {
			return nil, fmt.Errorf("audit: read who is assigned to the Aircall app: %w", err)
		}
		s.mu.Lock()
		s.acc = acc
		s.mu.Unlock()
		if err := s.appChecks(ctx); err != nil {
			return nil, err
		}
		err = s.scan(ctx)
	}
	if err != nil && !errors.Is(err, errBudget) {
		// Keep what was committed (pages whose events were accepted), so
		// the next invocation continues from there.
		_ = s.stopSaver()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if serr := s.saveNow(sctx); serr != nil {
			log.Warn("audit: could not save the checkpoint after the failure", "error", serr.Error())
		}
		cancel()
		return nil, err
	}
	complete := err == nil
	if err := s.finish(ctx, complete, known, knownETag); err != nil {
		return nil, err
	}
	rep := s.report(complete)
	if j.Reports != nil {
		where, perr := j.Reports.PutReport(ctx, rep.Name(), renderReport(rep))
		if perr != nil {
			log.Warn("audit: could not store the report", "error", perr.Error())
			rep.Notes = append(rep.Notes, "report not stored: "+domain.ErrorMessage(perr))
		}
		rep.Locations = where
	}
	log.Info("audit: invocation done", "runId", rep.RunID, "mode", rep.Mode, "complete", rep.Complete,
		"invocation", rep.Invocation, "pages", rep.Pages, "usersScanned", rep.UsersScanned, "usersChecked", rep.UsersChecked,
		"usersPerSecond", int(rep.UsersPerSec), "published", rep.Published, "openFindings", rep.Counts, "dryRun", rep.DryRun)
	return rep, nil
}

// newRun starts a run: a full scan plans its shards and takes a delta link
// first (changes during the scan come in the next delta); a delta starts
// from the last run's link.
func (j *Job) newRun(ctx context.Context, full bool, known *knownState, start time.Time, s *scanner) (*runState, error) {
	st := &runState{Version: 1, Scope: s.scope(), StartedAt: start.UTC(), seen: findingSet{}, changed: map[uint64]struct{}{}}
	if full {
		st.Mode = ModeFull
		// The delta link only has to be taken before the first user page is
		// read: take it while the shards are planned.
		var (
			link    string
			linkErr error
			done    = make(chan struct{})
		)
		go func() {
			defer close(done)
			link, linkErr = j.Directory.LatestDeltaLink(ctx)
		}()
		ranges, err := j.plan(ctx, j.workers())
		<-done
		if linkErr != nil {
			return nil, fmt.Errorf("audit: take a delta link before the full scan: %w", linkErr)
		}
		if err != nil {
			return nil, fmt.Errorf("audit: plan the full scan's shards: %w", err)
		}
		st.NextDelta = link
		st.Ranges = ranges
	} else {
		st.Mode = ModeDelta
		st.Delta = known.DeltaLink
	}
	// The time names the run for people; the random suffix keeps two runs
	// started within a second apart (a delta resynced as a full scan right
	// after the last full scan): run ids key segments and the assignment set.
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	st.RunID = start.UTC().Format("20060102T150405Z") + "-" + st.Mode + "-" + hex.EncodeToString(suffix[:])
	j.log().Info("audit: run started", "runId", st.RunID, "mode", st.Mode, "scope", st.Scope, "shards", len(st.Ranges))
	return st, nil
}

func (j *Job) loadKnown(ctx context.Context) (*knownState, string, error) {
	data, etag, err := j.Checkpoints.Load(ctx, j.key(knownKey))
	if domain.IsCode(err, domain.ENOTFOUND) {
		return &knownState{Version: 1, findings: findingSet{}}, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("audit: load the open findings: %w", err)
	}
	var k knownState
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, "", domain.Wrap(domain.EINTERNAL, err, "audit: the open-findings document %s is corrupt: delete it to start afresh (the next run republishes open findings)", j.key(knownKey))
	}
	if k.findings, err = decodeSet(k.Findings); err != nil {
		return nil, "", domain.Wrap(domain.EINTERNAL, err, "audit: the open-findings document %s is corrupt: delete it to start afresh", j.key(knownKey))
	}
	k.Findings = ""
	return &k, etag, nil
}

func (j *Job) loadRun(ctx context.Context) (*runState, string, error) {
	data, etag, err := j.Checkpoints.Load(ctx, j.key(runKey))
	if domain.IsCode(err, domain.ENOTFOUND) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("audit: load the run checkpoint: %w", err)
	}
	var st runState
	if err := json.Unmarshal(data, &st); err == nil {
		st.seen = findingSet{}
		for n := 0; n < st.SeenSegments && err == nil; n++ {
			var seg []byte
			if seg, _, err = j.Checkpoints.Load(ctx, j.key(seenSegmentKey(st.RunID, n))); err == nil {
				err = st.seen.addRecords(seg)
			} else if !domain.IsCode(err, domain.ENOTFOUND) {
				return nil, "", fmt.Errorf("audit: load segment %d of the run checkpoint: %w", n, err)
			}
		}
		if err == nil {
			if err = st.seen.addRecords(st.Seen); err == nil {
				st.tail = st.Seen
				st.changed, err = decodeSubjects(st.Changed)
			}
		}
		if err == nil {
			st.Seen, st.Changed = nil, ""
			return &st, etag, nil
		}
	}
	// A corrupt checkpoint costs a rescan, never a wrong answer.
	j.log().Warn("audit: the run checkpoint is unreadable; starting a new run", "key", j.key(runKey))
	if err := j.Checkpoints.Delete(ctx, j.key(runKey)); err != nil {
		return nil, "", err
	}
	return nil, "", nil
}

// keepLease renews the lease until stop is called, then releases it.
func keepLease(l domain.Lease, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := l.Renew(ctx); err != nil {
					log.Warn("audit: could not renew the audit lock", "error", err.Error())
				}
				cancel()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Release(ctx); err != nil {
			log.Warn("audit: could not release the audit lock (it expires by itself)", "error", err.Error())
		}
	}
}
