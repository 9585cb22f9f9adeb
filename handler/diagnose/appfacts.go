package diagnose

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// appFacts are the app-wide facts every diagnosis shares.
type appFacts struct {
	claim    domain.ClaimConfig
	results  []CheckResult
	findings []domain.Finding
	at       time.Time
}

// appFacts returns the app facts. Fresh facts (younger than the TTL) are
// returned as they are; stale ones are returned too while one background
// refresh replaces them, so a diagnosis never waits on the app-wide checks
// except the very first, or after facts go unrefreshed for 10 × TTL.
// Concurrent callers with nothing usable wait for one load instead of each
// calling Graph. A failed load is not cached.
func (j *Job) appFacts(ctx context.Context) (*appFacts, error) {
	ttl := j.AppFactsTTL
	if ttl <= 0 {
		ttl = DefaultAppFactsTTL
	}
	j.mu.Lock()
	if f := j.facts; f != nil {
		age := j.now().Sub(f.at)
		if age < ttl {
			j.mu.Unlock()
			return f, nil
		}
		if age < 10*ttl {
			if !j.refreshing {
				j.refreshing = true
				go j.refreshFacts()
			}
			j.mu.Unlock()
			return f, nil
		}
	}
	defer j.mu.Unlock() // one synchronous load at a time
	if f := j.facts; f != nil && j.now().Sub(f.at) < ttl {
		return f, nil
	}
	f, err := j.loadFacts(ctx)
	if err != nil {
		return nil, err
	}
	j.facts = f
	return f, nil
}

// refreshFacts reloads the facts in the background; a failure keeps the
// stale facts (the next caller tries again).
func (j *Job) refreshFacts() {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	f, err := j.loadFacts(ctx)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.refreshing = false
	if err == nil {
		j.facts = f
	}
}

// refreshTimeout bounds a background refresh of the app facts.
const refreshTimeout = 30 * time.Second

// loadFacts reads the claim configuration and runs the app-wide checks,
// all at once.
func (j *Job) loadFacts(ctx context.Context) (*appFacts, error) {
	names := make([]string, 0, len(j.Checks))
	for n := range j.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	type outcome struct {
		fs  []domain.Finding
		err error
	}
	outs := make([]outcome, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i].fs, outs[i].err = j.Checks[n](ctx)
		}()
	}
	claim, err := j.Directory.EmailClaim(ctx)
	wg.Wait()
	if err != nil {
		return nil, wrap(err, "read the Aircall app's emailaddress claim configuration")
	}
	f := &appFacts{claim: claim, at: j.now(), results: []CheckResult{}}
	for i, n := range names {
		fs, err := outs[i].fs, outs[i].err
		switch {
		case err != nil:
			f.results = append(f.results, CheckResult{Name: n, Status: "failed", Detail: domain.ErrorMessage(err)})
		case len(fs) == 0:
			f.results = append(f.results, CheckResult{Name: n, Status: "ok"})
		default:
			var sums []string
			for _, x := range fs {
				sums = append(sums, x.Summary)
			}
			f.results = append(f.results, CheckResult{Name: n, Status: "problem", Detail: fmt.Sprintf("%d finding(s): %s", len(fs), strings.Join(sums, " "))})
			f.findings = append(f.findings, fs...)
		}
	}
	return f, nil
}
