package audit

import (
	"context"
	"strings"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Shard planning. Graph has no $skip on users, so a full scan is split into
// userPrincipalName ranges (after, upto] queried with "ge"/"le" (documented
// for userPrincipalName, no advanced query needed). Bounds are cut from the
// characters UPNs are made of; ranges are probed with $count (one cheap
// request each) and the crowded ones cut again, so shards come out about
// equal whatever the names look like. Whatever the bounds, the ranges
// ("", b1], (b1, b2], …, (bn, "") cover every user exactly once: no user
// is missed even if a count was stale.

// alphabet are the characters bounds are made of, in byte order: what UPN
// local parts mostly use, lower case (directory comparisons ignore case).
const alphabet = "-.0123456789_abcdefghijklmnopqrstuvwxyz"

const (
	base      = float64(len(alphabet) + 1) // digit 0 is "end of string"
	maxDigits = 9                          // float64 holds ~9 base-40 digits exactly
)

// position maps a key to [0,1) so that a < b ⇒ position(a) <= position(b)
// (for keys over the alphabet, strictly). Characters outside the alphabet
// take the position of the nearest alphabet character below them.
func position(s string) float64 {
	v, scale := 0.0, 1.0
	for i := 0; i < len(s) && i < maxDigits; i++ {
		scale /= base
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		d := strings.LastIndexFunc(alphabet, func(r rune) bool { return byte(r) <= c }) + 1 // 0 when below '-'
		v += float64(d) * scale
	}
	return v
}

// keyAt is the shortest alphabet string whose position is about v.
func keyAt(v float64) string {
	var b []byte
	for i := 0; i < maxDigits && v > 0; i++ {
		v *= base
		d := int(v)
		v -= float64(d)
		if d == 0 {
			break
		}
		if d > len(alphabet) {
			d = len(alphabet)
		}
		b = append(b, alphabet[d-1])
	}
	return string(b)
}

// cut splits r into about n ranges of equal key space. It may return fewer
// (never zero) when the range is too narrow to cut.
func cut(r domain.UserRange, n int) []domain.UserRange {
	lo, hi := position(r.After), 1.0
	if r.Upto != "" {
		hi = position(r.Upto)
	}
	var bounds []string
	prev := r.After
	for i := 1; i < n; i++ {
		k := keyAt(lo + (hi-lo)*float64(i)/float64(n))
		if k <= prev || (r.Upto != "" && k >= r.Upto) {
			continue
		}
		bounds = append(bounds, k)
		prev = k
	}
	out := make([]domain.UserRange, 0, len(bounds)+1)
	after := r.After
	for _, b := range bounds {
		out = append(out, domain.UserRange{After: after, Upto: b})
		after = b
	}
	return append(out, domain.UserRange{After: after, Upto: r.Upto})
}

// counter counts the users of a range (the whole tenant, or the users among
// one group's members).
type counter func(ctx context.Context, r domain.UserRange) (int64, error)

// plan returns the shards of a full scan: one range for a small tenant, else
// ranges of about target users each.
func (j *Job) plan(ctx context.Context, workers int) ([]rangeState, error) {
	root := domain.UserRange{}
	total, err := j.Directory.CountUsers(ctx, root)
	if err != nil {
		return nil, err
	}
	if total < 0 || workers <= 1 || total <= int64(j.smallTenant()) {
		return []rangeState{{UserRange: root, Count: total}}, nil
	}
	return planRanges(ctx, total, rangeTarget(total, workers), j.Directory.CountUsers)
}

// rangeTarget is the size of a range when total users are read by workers:
// four ranges per worker keeps the tail short; no range below 4 pages.
func rangeTarget(total int64, workers int) int64 {
	return max(total/int64(workers*4), 4*999)
}

// planRanges cuts the users counted by count (total in all) into ranges of
// about target users, probing the counts of the cuts.
func planRanges(ctx context.Context, total, target int64, count counter) ([]rangeState, error) {
	root := domain.UserRange{}
	ranges := []rangeState{{UserRange: root, Count: total}}
	for depth := 0; depth < 6; depth++ {
		var big []int
		for i, r := range ranges {
			if r.Count > target*3/2 {
				big = append(big, i)
			}
		}
		if len(big) == 0 {
			break
		}
		var next []rangeState
		last := 0
		var children [][]rangeState
		for _, i := range big {
			n := int(min((ranges[i].Count+target-1)/target, 64))
			if n < 2 {
				n = 2
			}
			parts := cut(ranges[i].UserRange, n)
			kids := make([]rangeState, len(parts))
			for k, p := range parts {
				kids[k] = rangeState{UserRange: p, Count: -1}
			}
			children = append(children, kids)
		}
		if err := probe(ctx, children, count); err != nil {
			return nil, err
		}
		progress := false
		for bi, i := range big {
			next = append(next, ranges[last:i]...)
			kids := children[bi]
			if len(kids) > 1 {
				progress = true
			}
			next = append(next, kids...)
			last = i + 1
		}
		next = append(next, ranges[last:]...)
		ranges = next
		if !progress {
			break
		}
	}
	return merge(ranges, target), nil
}

// probe counts the users of every child range, many at a time: a count is
// one cheap request.
func probe(ctx context.Context, children [][]rangeState, count counter) error {
	type job struct{ a, b int }
	var jobs []job
	for a := range children {
		for b := range children[a] {
			jobs = append(jobs, job{a, b})
		}
	}
	sem := make(chan struct{}, 64) // a count costs one resource unit: 64 at once is far inside the budget
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, jb := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := count(ctx, children[jb.a][jb.b].UserRange)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			children[jb.a][jb.b].Count = n
		}()
	}
	wg.Wait()
	return first
}

// merge joins neighbouring small ranges while their sum stays within target.
func merge(rs []rangeState, target int64) []rangeState {
	var out []rangeState
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].Count >= 0 && r.Count >= 0 && out[n-1].Count+r.Count <= target {
			out[n-1].Upto = r.Upto
			out[n-1].Count += r.Count
			continue
		}
		out = append(out, r)
	}
	return out
}
