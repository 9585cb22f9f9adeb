package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
)

// errBudget stops a scan that reached its time budget.
var errBudget = errors.New("audit: time budget reached")

// scanner is one invocation of a run.
type scanner struct {
	j        *Job
	req      Request
	log      *slog.Logger
	known    findingSet
	dry      bool
	start    time.Time
	deadline time.Time
	observed time.Time

	claim domain.ClaimSource
	acc   *access

	mu      sync.Mutex // guards st, pending, rows and the counters below
	st      *runState
	pending map[uint64]struct{}
	rows    []domain.Finding
	trunc   bool
	notes   []string
	// this invocation
	pages     int
	users     int64
	published int

	runETag   string
	saveMu    sync.Mutex // one save at a time
	dirty     chan struct{}
	quit      chan struct{}
	saverDone chan struct{}
	saveErr   error

	lim *limiter
}

// prepare reads what every user's check needs (claim source, who is
// assigned) and runs the app-wide checks once per run.
func (s *scanner) prepare(ctx context.Context) error {
	s.observed = s.j.now().UTC()
	s.claim = domain.ClaimFromMail
	// Who is assigned and the claim configuration are independent.
	var (
		acc    *access
		accErr error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		acc, accErr = s.j.accessFor(ctx, s.st, s.dry)
	}()
	if s.j.Claim != nil {
		c, err := s.j.Claim(ctx)
		switch {
		case err == nil:
			if c.Source.Valid() {
				s.claim = c.Source
			}
		case domain.IsCode(err, domain.ENOTFOUND):
			s.note("the Aircall app was not found: the email claim is assumed to come from user.mail (Entra's default)")
		default:
			<-done
			return fmt.Errorf("audit: read the app's email claim configuration: %w", err)
		}
	}
	<-done
	if accErr != nil {
		return fmt.Errorf("audit: read who is assigned to the Aircall app: %w", accErr)
	}
	s.acc = acc
	if !acc.known {
		s.note("the Aircall app was not found: assignment was not checked")
	}
	s.log.Info("audit: scope read", "directUsers", len(acc.direct), "groups", acc.groups, "groupMembers", len(acc.group),
		"fromLastFullScan", acc.saved, "claimSource", s.claim)
	s.startSaver()
	return s.appChecks(ctx)
}

func (s *scanner) note(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = append(s.notes, n)
}

// appChecks runs the app-wide checks (drift, certificate) once per run.
func (s *scanner) appChecks(ctx context.Context) error {
	if s.st.AppChecked {
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
			s.note(fmt.Sprintf("the %s check could not run: %s", n, domain.ErrorMessage(err)))
			continue
		}
		all = append(all, fs...)
	}
	return s.commit(ctx, all, nil, func(*domain.Finding) uint64 { return appSubject }, func(st *runState) {
		st.AppChecked = true
		if failed {
			// Keep what the last run knew about the app rather than
			// forgetting (and later republishing) it.
			for k, e := range s.known {
				if e.subject() == appSubject {
					st.see(k, e)
				}
			}
			return
		}
		st.changed[appSubject] = struct{}{}
	})
}

// reset switches the scanner to a new run state (delta resync).
func (s *scanner) reset(st *runState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
	s.pending = map[uint64]struct{}{}
}

// scan runs the full or delta scan until done (nil), the budget is reached
// (errBudget) or an error.
func (s *scanner) scan(ctx context.Context) error {
	stopProgress := s.progressLoop()
	defer stopProgress()
	if s.st.Mode == ModeDelta {
		return s.delta(ctx)
	}
	return s.full(ctx)
}

// check evaluates one user for the page being read.
func (s *scanner) check(u *domain.User, out *[]domain.Finding) bool {
	if u.Removed {
		return false
	}
	kind := s.acc.kind(u.ID)
	if s.st.Scope == domain.ScopeAssigned && kind != domain.AssignmentDirect && kind != domain.AssignmentGroup {
		return false
	}
	if kind == domain.AssignmentUnknown && s.acc.saved && s.acc.known {
		// Not in the set the last full scan saved: "not assigned" then is
		// kept only if it was already open (the user may have been assigned
		// since; the next full scan knows), never newly claimed.
		for _, f := range rules.Evaluate(*u, rules.Context{Assignment: domain.AssignmentNone, ClaimSource: s.claim, Now: s.observed}) {
			if f.Kind == domain.FindingUserNotAssigned {
				if _, open := s.known[findingKey(f)]; !open {
					continue
				}
			}
			*out = append(*out, f)
		}
		return true
	}
	*out = append(*out, rules.Evaluate(*u, rules.Context{Assignment: kind, ClaimSource: s.claim, Now: s.observed})...)
	return true
}

// full reads the shards with a pool of workers, largest first.
func (s *scanner) full(ctx context.Context) error {
	s.mu.Lock()
	var todo []int
	for i, r := range s.st.Ranges {
		if !r.Done {
			todo = append(todo, i)
		}
	}
	slices.SortStableFunc(todo, func(a, b int) int {
		ca, cb := s.st.Ranges[a].Count, s.st.Ranges[b].Count
		switch {
		case ca > cb:
			return -1
		case ca < cb:
			return 1
		}
		return 0
	})
	s.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	workers := min(s.j.workers(), len(todo))
	s.mu.Lock()
	s.lim = newLimiter(workers)
	s.mu.Unlock()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queue := make(chan int, len(todo))
	for _, i := range todo {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				if err := s.readRange(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// readRange reads one shard page by page, committing each page.
func (s *scanner) readRange(ctx context.Context, i int) error {
	s.mu.Lock()
	r := s.st.Ranges[i].UserRange
	link := s.st.Ranges[i].Next
	done := s.st.Ranges[i].Done
	s.mu.Unlock()
	var found []domain.Finding
	for !done {
		if s.j.now().After(s.deadline) {
			return errBudget
		}
		if err := s.lim.acquire(ctx); err != nil {
			return err
		}
		found = found[:0]
		var scanned, checked int64
		info, err := s.j.Directory.ListUsers(ctx, r, link, func(u *domain.User) error {
			scanned++
			if s.check(u, &found) {
				checked++
			}
			return nil
		})
		s.lim.release()
		if err != nil {
			return fmt.Errorf("audit: read users %s: %w", describeRange(r), err)
		}
		err = s.commit(ctx, found, nil, nil, func(st *runState) {
			rs := &st.Ranges[i]
			rs.Next, rs.Done = info.Next, info.Next == ""
			rs.Pages++
			rs.Users += scanned
			st.Pages++
			st.UsersScanned += scanned
			st.UsersChecked += checked
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.pages++
		s.users += scanned
		s.mu.Unlock()
		link, done = info.Next, info.Next == ""
	}
	return nil
}

func describeRange(r domain.UserRange) string {
	return fmt.Sprintf("(%q, %q]", r.After, r.Upto)
}

// delta reads the delta round page by page.
func (s *scanner) delta(ctx context.Context) error {
	s.mu.Lock()
	link := s.st.Delta
	done := s.st.DeltaDone != ""
	s.mu.Unlock()
	var found []domain.Finding
	var changed []uint64
	for !done {
		if s.j.now().After(s.deadline) {
			return errBudget
		}
		found, changed = found[:0], changed[:0]
		var scanned, checked int64
		info, err := s.j.Directory.UsersDelta(ctx, link, func(u *domain.User) error {
			scanned++
			changed = append(changed, subjectHash(u.ID))
			if s.check(u, &found) {
				checked++
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, domain.ErrDeltaExpired) {
				return domain.ErrDeltaExpired
			}
			return fmt.Errorf("audit: read the users delta: %w", err)
		}
		err = s.commit(ctx, found, changed, nil, func(st *runState) {
			if info.DeltaLink != "" {
				st.DeltaDone, st.Delta = info.DeltaLink, ""
			} else {
				st.Delta = info.Next
			}
			st.Pages++
			st.UsersScanned += scanned
			st.UsersChecked += checked
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.pages++
		s.users += scanned
		s.mu.Unlock()
		if info.DeltaLink != "" {
			return nil
		}
		if info.Next == "" {
			return fmt.Errorf("audit: the users delta page had neither a next link nor a delta link")
		}
		link = info.Next
	}
	return nil
}

// commit publishes the page's findings that are new (not open from the last
// run, not published earlier in this run), then records the page: findings
// seen, subjects changed and progress (apply) together, so a checkpoint
// never covers a page whose events were not accepted.
func (s *scanner) commit(ctx context.Context, found []domain.Finding, changed []uint64, subject func(*domain.Finding) uint64, apply func(*runState)) error {
	if subject == nil {
		subject = func(f *domain.Finding) uint64 { return subjectHash(f.Key) }
	}
	keys := make([]uint64, len(found))
	var fresh []domain.Finding
	var freshKeys []uint64
	s.mu.Lock()
	for i := range found {
		k := findingKey(found[i])
		keys[i] = k
		if _, ok := s.known[k]; ok {
			continue
		}
		if _, ok := s.st.seen[k]; ok {
			continue
		}
		if _, ok := s.pending[k]; ok {
			continue
		}
		s.pending[k] = struct{}{}
		fresh = append(fresh, found[i])
		freshKeys = append(freshKeys, k)
	}
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		for _, k := range freshKeys {
			delete(s.pending, k)
		}
		s.mu.Unlock()
	}
	if len(fresh) > 0 && !s.dry {
		events, err := domain.NewEvents(fresh)
		if err != nil {
			release()
			return err
		}
		if err := s.j.Events.Publish(ctx, events); err != nil {
			release()
			return fmt.Errorf("audit: publish %d remediation event(s): %w", len(events), err)
		}
	}
	s.mu.Lock()
	for i := range found {
		s.st.see(keys[i], mkEntry(subject(&found[i]), kindIndex(found[i].Kind)))
	}
	for _, k := range freshKeys {
		delete(s.pending, k)
	}
	for _, c := range changed {
		s.st.changed[c] = struct{}{}
	}
	apply(s.st)
	s.st.Published += len(fresh)
	s.published += len(fresh)
	for _, f := range fresh {
		if len(s.rows) >= s.j.rowLimit() {
			s.trunc = true
			break
		}
		s.rows = append(s.rows, f)
	}
	s.mu.Unlock()
	s.markDirty()
	return nil
}

// finish saves the last checkpoint of an incomplete run, or, for a
// complete one, the open findings and the next delta link, then drops the
// run checkpoint.
func (s *scanner) finish(ctx context.Context, complete bool, known *knownState, knownETag string) error {
	if err := s.stopSaver(); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	// The caller's context may be at its deadline: finishing must not be
	// cut short, or the last pages would be read again.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if !complete {
		return s.saveNow(fctx)
	}
	s.mu.Lock()
	st := s.st
	next := &knownState{Version: 1, CompletedAt: s.j.now().UTC(), LastFull: known.LastFull, LastRunID: st.RunID, Scope: st.Scope}
	if st.Mode == ModeFull {
		next.findings = st.seen
		next.LastFull = st.StartedAt
		next.DeltaLink = st.NextDelta
	} else {
		next.findings = findingSet{}
		for k, e := range known.findings {
			if _, ok := st.changed[e.subject()]; !ok {
				next.findings[k] = e
			}
		}
		for k, e := range st.seen {
			next.findings[k] = e
		}
		next.DeltaLink = st.DeltaDone
	}
	data, err := next.marshal()
	s.mu.Unlock()
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "audit: encode the open findings")
	}
	if _, err := s.j.Checkpoints.Save(fctx, s.j.key(knownKey), data, knownETag); err != nil {
		return fmt.Errorf("audit: save the open findings (the run will be finished again by the next invocation): %w", err)
	}
	known.findings = next.findings
	s.mu.Lock()
	s.known = next.findings
	s.mu.Unlock()
	if err := s.j.Checkpoints.Delete(fctx, s.j.key(runKey)); err != nil {
		return fmt.Errorf("audit: drop the finished run's checkpoint: %w", err)
	}
	s.dropSegments(fctx, st)
	return nil
}

// startSaver starts the goroutine that saves the checkpoint whenever a page
// was committed since the last save, at most once per SaveEvery: one save
// covers every page finished before it (a crash re-reads at most that
// much; finish writes the last one).
func (s *scanner) startSaver() {
	if s.dry || s.dirty != nil {
		return
	}
	s.dirty = make(chan struct{}, 1)
	s.quit = make(chan struct{})
	s.saverDone = make(chan struct{})
	go func() {
		defer close(s.saverDone)
		var last time.Time
		for {
			select {
			case <-s.quit:
				return
			case <-s.dirty:
			}
			if wait := s.j.saveEvery() - time.Since(last); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-s.quit:
					t.Stop()
					return
				case <-t.C:
				}
			}
			last = time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := s.saveNow(ctx)
			cancel()
			if err != nil {
				s.mu.Lock()
				if s.saveErr == nil {
					s.saveErr = err
				}
				s.mu.Unlock()
				s.log.Warn("audit: checkpoint save failed", "error", err.Error())
			}
		}
	}()
}

func (s *scanner) markDirty() {
	if s.dirty == nil {
		return
	}
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// stopSaver stops the saver and returns its first error.
func (s *scanner) stopSaver() error {
	if s.dirty == nil {
		return nil
	}
	close(s.quit)
	<-s.saverDone
	s.dirty = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveErr
}

// saveNow writes the run checkpoint, conditioned on the version this
// invocation wrote last (another writer means another run took over).
// When the records seen since the last segment fill one, they are written
// as the next segment first, and the checkpoint then counts it.
func (s *scanner) saveNow(ctx context.Context) error {
	if s.dry {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	st := s.st
	var seg []byte
	n := st.SeenSegments
	if len(st.tail) >= segmentRecords*16 {
		seg, st.tail = st.tail, nil
	}
	s.mu.Unlock()
	if seg != nil {
		if err := s.saveSegment(ctx, st.RunID, n, seg); err != nil {
			s.mu.Lock()
			st.tail = append(seg, st.tail...)
			s.mu.Unlock()
			return err
		}
		s.mu.Lock()
		st.SeenSegments = n + 1
		s.mu.Unlock()
	}
	s.mu.Lock()
	st.Seen = st.tail
	st.Changed = encodeSubjects(st.changed)
	data, err := json.Marshal(st)
	st.Seen, st.Changed = nil, ""
	s.mu.Unlock()
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "audit: encode the checkpoint")
	}
	etag, err := s.j.Checkpoints.Save(ctx, s.j.key(runKey), data, s.runETag)
	if err != nil {
		if domain.IsCode(err, domain.ECONFLICT) {
			return domain.Wrap(domain.ECONFLICT, err, "audit: the run checkpoint was changed by another invocation; this one stops (the other continues)")
		}
		return fmt.Errorf("audit: save the run checkpoint: %w", err)
	}
	s.runETag = etag
	return nil
}

// saveSegment writes segment n of the run's seen records. A segment left by
// an invocation that died before its checkpoint counted it is replaced.
func (s *scanner) saveSegment(ctx context.Context, runID string, n int, data []byte) error {
	if err := s.j.saveBlob(ctx, seenSegmentKey(runID, n), data); err != nil {
		return fmt.Errorf("audit: save segment %d of the run's findings: %w", n, err)
	}
	return nil
}

// dropSegments deletes a run's segments; a failure leaves only litter.
func (s *scanner) dropSegments(ctx context.Context, st *runState) {
	for n := 0; n < st.SeenSegments; n++ {
		if err := s.j.Checkpoints.Delete(ctx, s.j.key(seenSegmentKey(st.RunID, n))); err != nil && !domain.IsCode(err, domain.ENOTFOUND) {
			s.log.Warn("audit: could not delete a finished run's segment", "segment", n, "error", err.Error())
		}
	}
}

// progress returns the invocation's progress.
func (s *scanner) progress(done bool) Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := Progress{Mode: s.st.Mode, Pages: s.pages, Users: s.users, Published: s.published, Ranges: len(s.st.Ranges),
		Elapsed: s.j.now().Sub(s.start), Done: done}
	for _, r := range s.st.Ranges {
		if r.Done {
			p.RangesDone++
		}
		if r.Count > 0 {
			p.EstimatedAll += r.Count
		}
	}
	if p.Elapsed > 0 {
		p.UsersPerSec = float64(p.Users) / p.Elapsed.Seconds()
	}
	if s.lim != nil {
		p.Workers, p.Throttled = s.lim.state()
	}
	return p
}

func (s *scanner) progressLoop() func() {
	report, every := s.progressTo()
	if every <= 0 {
		every = 10 * time.Second
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p := s.progress(false)
				s.log.Info("audit: progress", "mode", p.Mode, "pages", p.Pages, "users", p.Users,
					"usersPerSecond", int(p.UsersPerSec), "rangesDone", p.RangesDone, "ranges", p.Ranges,
					"workers", p.Workers, "throttled", p.Throttled, "published", p.Published)
				if report != nil {
					report(p)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		if report != nil {
			report(s.progress(true))
		}
	}
}

func (s *scanner) limiterNow() *limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lim
}
