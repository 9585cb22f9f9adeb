package audit

import (
	"log/slog"
	"time"
)

// progressReporter tells how far the invocation got: a log line (and the
// request's or the job's progress hook, for a terminal) every interval while
// a scan runs, and the hook once more at its end. It only reads the committer's counters
// and the reader's limiter.
type progressReporter struct {
	j     *Job
	log   *slog.Logger
	start time.Time
	rec   *committer
	read  *reader
	// report is called every every (default 10 s) and at the end: the
	// request's progress hook, else the job's Progress.
	report func(Progress)
	every  time.Duration
}

// progress returns the invocation's progress.
func (p *progressReporter) progress(done bool) Progress {
	c := p.rec
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Progress{Mode: c.st.Mode, Pages: c.pages, Users: c.users, Published: c.published, Ranges: len(c.st.Ranges),
		Elapsed: p.j.now().Sub(p.start), Done: done}
	for _, r := range c.st.Ranges {
		if r.Done {
			out.RangesDone++
		}
		if r.Count > 0 {
			out.EstimatedAll += r.Count
		}
	}
	if out.Elapsed > 0 {
		out.UsersPerSec = float64(out.Users) / out.Elapsed.Seconds()
	}
	if l := p.read.limiter(); l != nil {
		out.Workers, out.Throttled = l.state()
	}
	return out
}

// loop reports every ProgressEvery (default 10 s) until the returned stop
// is called, which reports the end.
func (p *progressReporter) loop() (stop func()) {
	every := p.every
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
				pr := p.progress(false)
				p.log.Info("audit: progress", "mode", pr.Mode, "pages", pr.Pages, "users", pr.Users,
					"usersPerSecond", int(pr.UsersPerSec), "rangesDone", pr.RangesDone, "ranges", pr.Ranges,
					"workers", pr.Workers, "throttled", pr.Throttled, "published", pr.Published)
				if p.report != nil {
					p.report(pr)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		if p.report != nil {
			p.report(p.progress(true))
		}
	}
}
