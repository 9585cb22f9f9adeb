package audit

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Reading the members of assigned groups. Graph has no $skip on a group's
// members, so a large group read one page after another is the slowest part
// of a scope-assigned full scan (at 1M users with 600k group members, 600
// sequential pages). When the directory can read the users among a group's
// members by userPrincipalName range (domain.GroupMemberRanges: Graph's
// documented cast groups/{id}/members/microsoft.graph.user with a ge/le
// filter, an advanced query), a large group is cut into ranges exactly as
// the user scan is, and every range of every group is read by the same
// pool of workers. Small groups are read as before (one chain of pages,
// no advanced query). The choice is made per group from its member count
// (one cheap $count request) and logged. docs/audit.md, "How a run reads
// the directory", says why and what it measured.

// groupItem is one unit of member reading: a whole group (whole), or the
// users of a group in one range.
type groupItem struct {
	group string
	whole bool
	r     domain.UserRange
	count int64
}

// groupMembers pages the direct user members of groups, up to workers
// requests at a time, and returns their hashes, one per (group, member):
// a user in two assigned groups appears twice (a membership change then
// removes one), and the memberships' pairHash (unsorted). Members that are groups are ignored: nested groups do not
// grant access.
func (j *Job) groupMembers(ctx context.Context, groups []string, workers int) (members, pairs []uint64, err error) {
	items, err := j.planGroups(ctx, groups, workers)
	if err != nil {
		return nil, nil, err
	}
	slices.SortStableFunc(items, func(a, b groupItem) int { return int(b.count - a.count) })
	// Hashes per group, sorted and deduplicated at the end (8 bytes a
	// member: no map, whose overhead would dominate a 600k-member group).
	perGroup := map[string][]uint64{}
	var mu sync.Mutex
	err = runPool(ctx, len(items), workers, func(i int) error {
		it := items[i]
		var mine []uint64
		keep := func(m domain.DirectoryMember) error {
			if m.Type == "" || strings.EqualFold(m.Type, "user") {
				mine = append(mine, subjectHash(m.ID))
			}
			return nil
		}
		link := ""
		for {
			var info domain.PageInfo
			var err error
			if it.whole {
				info, err = j.Directory.GroupMembers(ctx, it.group, link, keep)
			} else {
				info, err = j.Directory.(domain.GroupMemberRanges).GroupUsers(ctx, it.group, it.r, link, keep)
			}
			if err != nil {
				return err
			}
			if link = info.Next; link == "" {
				break
			}
		}
		mu.Lock()
		perGroup[it.group] = append(perGroup[it.group], mine...)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for g, hs := range perGroup {
		slices.Sort(hs)
		for _, h := range slices.Compact(hs) {
			members = append(members, h)
			pairs = append(pairs, pairHash(g, h))
		}
	}
	return members, pairs, nil
}

// planGroups decides, per group, how its members are read: whole (one chain
// of pages) when the directory cannot read by range, the count is unknown
// or the group is small; else in ranges. Ranges are sized for all the
// large groups together, so the workers share them evenly.
func (j *Job) planGroups(ctx context.Context, groups []string, workers int) ([]groupItem, error) {
	counts := make([]int64, len(groups))
	gr, ok := j.Directory.(domain.GroupMemberRanges)
	if ok && workers > 1 {
		err := runPool(ctx, len(groups), workers, func(i int) error {
			n, err := gr.CountGroupUsers(ctx, groups[i], domain.UserRange{})
			if err != nil {
				// Advanced queries are not available everywhere (Azure AD
				// B2C tenants, learn.microsoft.com/graph/aad-advanced-queries):
				// the plain read gives the same members.
				j.log().Warn("audit: could not count a group's members; reading it page after page", "group", groups[i], "error", err.Error())
				n = -1
			}
			counts[i] = n
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		for i := range counts {
			counts[i] = -1
		}
	}
	var large int64
	for _, n := range counts {
		if n > int64(j.smallTenant()) {
			large += n
		}
	}
	target := rangeTarget(large, workers)
	plans := make([][]groupItem, len(groups))
	err := runPool(ctx, len(groups), workers, func(i int) error {
		g, n := groups[i], counts[i]
		plans[i] = []groupItem{{group: g, whole: true, count: n}}
		if n <= int64(j.smallTenant()) {
			j.log().Info("audit: group members plan", "group", g, "users", n, "plan", "pages")
			return nil
		}
		count := func(ctx context.Context, r domain.UserRange) (int64, error) { return gr.CountGroupUsers(ctx, g, r) }
		ranges, err := planRanges(ctx, n, target, count)
		if err != nil {
			return err
		}
		plans[i] = plans[i][:0]
		for _, r := range ranges {
			plans[i] = append(plans[i], groupItem{group: g, r: r.UserRange, count: r.Count})
		}
		j.log().Info("audit: group members plan", "group", g, "users", n, "plan", "ranges", "ranges", len(ranges))
		return nil
	})
	return slices.Concat(plans...), err
}

// runPool calls fn(0..n-1), up to workers at a time, and returns the first
// error (the others stop at their next call).
func runPool(ctx context.Context, n, workers int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, max(workers, 1))
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}
