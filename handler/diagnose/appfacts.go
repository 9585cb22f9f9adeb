package diagnose

import (
	"context"
	"fmt"
	"sort"
	"strings"
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

// appFacts returns the cached app facts, refreshing them when older than the
// TTL. Concurrent callers wait for one refresh instead of each calling Graph.
// A failed refresh is not cached.
func (j *Job) appFacts(ctx context.Context) (*appFacts, error) {
	ttl := j.AppFactsTTL
	if ttl <= 0 {
		ttl = DefaultAppFactsTTL
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if f := j.facts; f != nil && j.now().Sub(f.at) < ttl {
		return f, nil
	}
	claim, err := j.Directory.EmailClaim(ctx)
	if err != nil {
		return nil, wrap(err, "read the Aircall app's emailaddress claim configuration")
	}
	f := &appFacts{claim: claim, at: j.now(), results: []CheckResult{}}
	names := make([]string, 0, len(j.Checks))
	for n := range j.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fs, err := j.Checks[n](ctx)
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
	j.facts = f
	return f, nil
}
