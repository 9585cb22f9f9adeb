package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// errBudget stops a scan that reached its time budget.
var errBudget = errors.New("audit: time budget reached")

// reader reads the directory for one scan: the full scan's shards with a
// pool of workers (largest first, fewer at once while Graph throttles), or
// the delta round page by page. Each page's users go through the evaluator
// and the page goes to the committer; reading stops at the deadline
// (errBudget).
type reader struct {
	j        *Job
	deadline time.Time
	eval     *evaluator
	rec      *committer
	lim      atomic.Pointer[limiter]
}

// limiter returns the full scan's limiter; nil before it starts.
func (r *reader) limiter() *limiter { return r.lim.Load() }

// full reads the shards with a pool of workers, largest first.
func (r *reader) full(ctx context.Context) error {
	todo := r.todo()
	if len(todo) == 0 {
		return nil
	}
	workers := min(r.j.workers(), len(todo))
	r.lim.Store(newLimiter(workers))
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
				if err := r.readRange(ctx, i); err != nil {
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

// todo returns the shards not done yet, largest first.
func (r *reader) todo() []int {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	ranges := r.rec.st.Ranges
	var todo []int
	for i, rs := range ranges {
		if !rs.Done {
			todo = append(todo, i)
		}
	}
	slices.SortStableFunc(todo, func(a, b int) int {
		ca, cb := ranges[a].Count, ranges[b].Count
		switch {
		case ca > cb:
			return -1
		case ca < cb:
			return 1
		}
		return 0
	})
	return todo
}

// readRange reads one shard page by page, committing each page.
func (r *reader) readRange(ctx context.Context, i int) error {
	r.rec.mu.Lock()
	ur := r.rec.st.Ranges[i].UserRange
	link := r.rec.st.Ranges[i].Next
	done := r.rec.st.Ranges[i].Done
	r.rec.mu.Unlock()
	lim := r.limiter()
	var found []domain.Finding
	for !done {
		if r.j.now().After(r.deadline) {
			return errBudget
		}
		if err := lim.acquire(ctx); err != nil {
			return err
		}
		found = found[:0]
		var scanned, checked int64
		info, err := r.j.Directory.ListUsers(ctx, ur, link, func(u *domain.User) error {
			scanned++
			if r.eval.check(u, &found) {
				checked++
			}
			return nil
		})
		lim.release()
		if err != nil {
			return fmt.Errorf("audit: read users %s: %w", describeRange(ur), err)
		}
		err = r.commitPage(ctx, found, nil, scanned, checked, func(st *runState) {
			rs := &st.Ranges[i]
			rs.Next, rs.Done = info.Next, info.Next == ""
			rs.Pages++
			rs.Users += scanned
		})
		if err != nil {
			return err
		}
		link, done = info.Next, info.Next == ""
	}
	return nil
}

// commitPage commits a page of scanned users (checked of them in scope);
// apply records where the page leaves the scan.
func (r *reader) commitPage(ctx context.Context, found []domain.Finding, changed []uint64, scanned, checked int64, apply func(*runState)) error {
	err := r.rec.commit(ctx, found, changed, nil, func(st *runState) {
		apply(st)
		st.Pages++
		st.UsersScanned += scanned
		st.UsersChecked += checked
	})
	if err == nil {
		r.rec.counted(scanned)
	}
	return err
}

func describeRange(r domain.UserRange) string {
	return fmt.Sprintf("(%q, %q]", r.After, r.Upto)
}

// delta reads the delta round page by page.
func (r *reader) delta(ctx context.Context) error {
	r.rec.mu.Lock()
	link := r.rec.st.Delta
	done := r.rec.st.DeltaDone != ""
	r.rec.mu.Unlock()
	if r.eval.acc.groupsExpired {
		return domain.ErrDeltaExpired
	}
	var pg changedPage
	for !done {
		if r.j.now().After(r.deadline) {
			return errBudget
		}
		pg.reset()
		info, err := r.j.Directory.UsersDelta(ctx, link, r.recheck(&pg))
		if err != nil {
			if errors.Is(err, domain.ErrDeltaExpired) {
				return domain.ErrDeltaExpired
			}
			return fmt.Errorf("audit: read the users delta: %w", err)
		}
		err = r.commitPage(ctx, pg.found, pg.changed, pg.scanned, pg.checked, func(st *runState) {
			if info.DeltaLink != "" {
				st.DeltaDone, st.Delta = info.DeltaLink, ""
			} else {
				st.Delta = info.Next
			}
		})
		if err != nil {
			return err
		}
		if info.DeltaLink != "" {
			break
		}
		if info.Next == "" {
			return fmt.Errorf("audit: the users delta page had neither a next link nor a delta link")
		}
		link = info.Next
	}
	return r.checkAffected(ctx)
}

// changedPage is a page of users a delta run reads again: their findings
// replace the ones they had.
type changedPage struct {
	found            []domain.Finding
	changed          []uint64
	scanned, checked int64
}

func (p *changedPage) reset() {
	p.found, p.changed, p.scanned, p.checked = p.found[:0], p.changed[:0], 0, 0
}

// recheck returns the callback that checks each user into p.
func (r *reader) recheck(p *changedPage) func(*domain.User) error {
	return func(u *domain.User) error {
		p.scanned++
		p.changed = append(p.changed, subjectHash(u.ID))
		if r.eval.check(u, &p.found) {
			p.checked++
		}
		return nil
	}
}
