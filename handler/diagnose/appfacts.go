package diagnose

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/swr"
)

// appFacts are the app-wide facts every diagnosis shares.
type appFacts struct {
	claim    domain.ClaimConfig
	results  []CheckResult
	findings []domain.Finding
}

// appFacts returns the app facts, shared by every diagnosis: fresh ones
// (younger than the TTL) as they are, stale ones while one background
// refresh replaces them (up to 10 × the TTL), so a diagnosis waits on the
// app-wide checks only the very first time (package swr).
func (j *Job) appFacts(ctx context.Context) (*appFacts, error) {
	j.factsOnce.Do(func() { j.facts = cached(j.loadFacts, j.AppFactsTTL, DefaultAppFactsTTL, j.now) })
	return j.facts.Get(ctx)
}

// cached shares what load returns between diagnoses: fresh for ttl (def
// when not positive), served stale up to 10 × ttl while one background
// refresh replaces it.
func cached[T any](load func(context.Context) (T, error), ttl, def time.Duration, now func() time.Time) *swr.Value[T] {
	if ttl <= 0 {
		ttl = def
	}
	return &swr.Value[T]{Load: load, TTL: ttl, MaxAge: 10 * ttl, Now: now}
}

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
	f := &appFacts{claim: claim, results: []CheckResult{}}
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
