package audit

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// committer is the invocation's record of the run and the one way to change
// it: the run state, the findings the last completed run left open (known),
// the findings being published, the report's rows and notes, and this
// invocation's counters, all under one lock. The reader hands it each page;
// the checkpoint saver and the progress reporter read it under its lock.
type committer struct {
	events   domain.EventSink
	dry      bool
	rowLimit int
	// committed is called after every commit: the saver's "dirty" signal.
	committed func()

	mu      sync.Mutex // guards everything below
	st      *runState
	known   findingSet
	pending map[uint64]struct{}
	rows    []domain.Finding
	trunc   bool
	notes   []string
	// this invocation
	pages     int
	users     int64
	published int
}

// state returns the run state (it changes only on a resync).
func (c *committer) state() *runState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// reset switches to a new run state (the start of a run, a delta resync).
func (c *committer) reset(st *runState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st = st
	c.pending = map[uint64]struct{}{}
}

// note adds a line to the report's notes, once.
func (c *committer) note(n string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.notes, n) {
		c.notes = append(c.notes, n)
	}
}

// counted adds a page of scanned users to this invocation's counters.
func (c *committer) counted(scanned int64) {
	c.mu.Lock()
	c.pages++
	c.users += scanned
	c.mu.Unlock()
}

// commit publishes the page's findings that are new (not open from the last
// run, not published earlier in this run), then records the page: findings
// seen, subjects changed and progress (apply) together, so a checkpoint
// never covers a page whose events were not accepted.
func (c *committer) commit(ctx context.Context, found []domain.Finding, changed []uint64, subject func(*domain.Finding) uint64, apply func(*runState)) error {
	if subject == nil {
		subject = func(f *domain.Finding) uint64 { return subjectHash(f.Key) }
	}
	keys := make([]uint64, len(found))
	fresh, freshKeys := c.claim(found, keys)
	if len(fresh) > 0 && !c.dry {
		if err := c.publish(ctx, fresh); err != nil {
			c.unclaim(freshKeys)
			return err
		}
	}
	c.mu.Lock()
	for i := range found {
		c.st.see(keys[i], mkEntry(subject(&found[i]), kindIndex(found[i].Kind)))
	}
	for _, k := range freshKeys {
		delete(c.pending, k)
	}
	for _, ch := range changed {
		c.st.changed[ch] = struct{}{}
	}
	apply(c.st)
	c.st.Published += len(fresh)
	c.published += len(fresh)
	for _, f := range fresh {
		if len(c.rows) >= c.rowLimit {
			c.trunc = true
			break
		}
		c.rows = append(c.rows, f)
	}
	c.mu.Unlock()
	if c.committed != nil {
		c.committed()
	}
	return nil
}

// claim fills keys with the findings' keys and returns the findings nobody
// published yet, marking them pending so that no other worker publishes
// them at the same time.
func (c *committer) claim(found []domain.Finding, keys []uint64) (fresh []domain.Finding, freshKeys []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range found {
		k := findingKey(found[i])
		keys[i] = k
		if _, ok := c.known[k]; ok {
			continue
		}
		if _, ok := c.st.seen[k]; ok {
			continue
		}
		if _, ok := c.pending[k]; ok {
			continue
		}
		c.pending[k] = struct{}{}
		fresh = append(fresh, found[i])
		freshKeys = append(freshKeys, k)
	}
	return fresh, freshKeys
}

// unclaim drops the pending marks of findings whose publish failed.
func (c *committer) unclaim(keys []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.pending, k)
	}
}

// publish sends the events of new findings.
func (c *committer) publish(ctx context.Context, fresh []domain.Finding) error {
	events, err := domain.NewEvents(fresh)
	if err != nil {
		return err
	}
	if err := c.events.Publish(ctx, events); err != nil {
		return fmt.Errorf("audit: publish %d remediation event(s): %w", len(events), err)
	}
	return nil
}
