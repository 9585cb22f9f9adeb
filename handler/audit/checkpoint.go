package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// checkpointer saves the run checkpoint: in the background whenever a page
// was committed since the last save (at most once per Job.SaveEvery), on
// demand (saveNow), and at the end of the invocation (finish), which for a
// complete run writes the open findings and the next delta link instead and
// drops the run's checkpoint. Saves are conditioned on the version this
// invocation wrote last: another writer means another run took over. A dry
// run saves nothing.
type checkpointer struct {
	j       *Job
	log     *slog.Logger
	dry     bool
	rec     *committer
	runETag string

	saveMu sync.Mutex // one save at a time
	dirty  chan struct{}
	quit   chan struct{}
	done   chan struct{}
	err    error // the background saver's first error; read after done
}

// start starts the goroutine that saves the checkpoint whenever a page was
// committed since the last save, at most once per SaveEvery: one save
// covers every page finished before it (a crash re-reads at most that much;
// finish writes the last one).
func (c *checkpointer) start() {
	if c.dry || c.dirty != nil {
		return
	}
	c.dirty = make(chan struct{}, 1)
	c.quit = make(chan struct{})
	c.done = make(chan struct{})
	go c.loop(c.dirty, c.quit)
}

func (c *checkpointer) loop(dirty, quit <-chan struct{}) {
	defer close(c.done)
	var last time.Time
	for {
		select {
		case <-quit:
			return
		case <-dirty:
		}
		if wait := c.j.saveEvery() - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-quit:
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.saveNow(ctx)
		cancel()
		if err != nil {
			if c.err == nil {
				c.err = err
			}
			c.log.Warn("audit: checkpoint save failed", "error", err.Error())
		}
	}
}

// markDirty tells the saver a page was committed.
func (c *checkpointer) markDirty() {
	if c.dirty == nil {
		return
	}
	select {
	case c.dirty <- struct{}{}:
	default:
	}
}

// stop stops the saver and returns its first error.
func (c *checkpointer) stop() error {
	if c.dirty == nil {
		return nil
	}
	close(c.quit)
	<-c.done
	c.dirty = nil
	return c.err
}

// saveNow writes the run checkpoint, conditioned on the version this
// invocation wrote last (another writer means another run took over).
// When the records seen since the last segment fill one, they are written
// as the next segment first, and the checkpoint then counts it.
func (c *checkpointer) saveNow(ctx context.Context) error {
	if c.dry {
		return nil
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	mu := &c.rec.mu
	mu.Lock()
	st := c.rec.st
	var seg []byte
	n := st.SeenSegments
	if len(st.tail) >= segmentRecords*16 {
		seg, st.tail = st.tail, nil
	}
	mu.Unlock()
	if seg != nil {
		if err := c.saveSegment(ctx, st.RunID, n, seg); err != nil {
			mu.Lock()
			st.tail = append(seg, st.tail...)
			mu.Unlock()
			return err
		}
		mu.Lock()
		st.SeenSegments = n + 1
		mu.Unlock()
	}
	mu.Lock()
	st.Seen = st.tail
	st.Changed = encodeSubjects(st.changed)
	data, err := json.Marshal(st)
	st.Seen, st.Changed = nil, ""
	mu.Unlock()
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "audit: encode the checkpoint")
	}
	etag, err := c.j.Checkpoints.Save(ctx, c.j.key(runKey), data, c.runETag)
	if err != nil {
		if domain.IsCode(err, domain.ECONFLICT) {
			return domain.Wrap(domain.ECONFLICT, fmt.Errorf("%w: %w", domain.ErrBusy, err), "audit: the run checkpoint was changed by another invocation; this one stops (the other continues)")
		}
		return fmt.Errorf("audit: save the run checkpoint: %w", err)
	}
	c.runETag = etag
	return nil
}

// saveSegment writes segment n of the run's seen records. A segment left by
// an invocation that died before its checkpoint counted it is replaced.
func (c *checkpointer) saveSegment(ctx context.Context, runID string, n int, data []byte) error {
	if err := c.j.saveBlob(ctx, seenSegmentKey(runID, n), data); err != nil {
		return fmt.Errorf("audit: save segment %d of the run's findings: %w", n, err)
	}
	return nil
}

// dropSegments deletes a run's segments; a failure leaves only litter.
func (c *checkpointer) dropSegments(ctx context.Context, st *runState) {
	for n := 0; n < st.SeenSegments; n++ {
		if err := c.j.Checkpoints.Delete(ctx, c.j.key(seenSegmentKey(st.RunID, n))); err != nil && !domain.IsCode(err, domain.ENOTFOUND) {
			c.log.Warn("audit: could not delete a finished run's segment", "segment", n, "error", err.Error())
		}
	}
}

// finish saves the last checkpoint of an incomplete run, or, for a
// complete one, the open findings and the next delta link, then drops the
// run checkpoint.
func (c *checkpointer) finish(ctx context.Context, complete bool, known *knownState, knownETag string) error {
	if err := c.stop(); err != nil {
		return err
	}
	if c.dry {
		return nil
	}
	// The caller's context may be at its deadline: finishing must not be
	// cut short, or the last pages would be read again.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if !complete {
		return c.saveNow(fctx)
	}
	c.rec.mu.Lock()
	st := c.rec.st
	next := c.next(st, known)
	data, err := next.marshal()
	c.rec.mu.Unlock()
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "audit: encode the open findings")
	}
	if _, err := c.j.Checkpoints.Save(fctx, c.j.key(knownKey), data, knownETag); err != nil {
		return fmt.Errorf("audit: save the open findings (the run will be finished again by the next invocation): %w", err)
	}
	known.findings = next.findings
	c.rec.mu.Lock()
	c.rec.known = next.findings
	c.rec.mu.Unlock()
	if err := c.j.Checkpoints.Delete(fctx, c.j.key(runKey)); err != nil {
		return fmt.Errorf("audit: drop the finished run's checkpoint: %w", err)
	}
	c.dropSegments(fctx, st)
	return nil
}

// next is the open findings a complete run leaves: a full scan's findings,
// or the last ones with the delta's changed subjects replaced by what the
// delta found. The caller holds the committer's lock.
func (c *checkpointer) next(st *runState, known *knownState) *knownState {
	next := &knownState{Version: 1, CompletedAt: c.j.now().UTC(), LastFull: known.LastFull, LastRunID: st.RunID, Scope: st.Scope}
	if st.Mode == ModeFull {
		next.findings = st.seen
		next.LastFull = st.StartedAt
		next.DeltaLink = st.NextDelta
		return next
	}
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
	return next
}
