package audit

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// access knows which users may sign in to the Aircall app: those assigned
// directly and the DIRECT members of assigned groups (Entra ID does not
// grant access through nested groups). Users are kept as sorted 8-byte
// hashes of their object ids, so a million assigned users take 8 MB.
type access struct {
	// known is false when the app was not found: assignment is unknown.
	known  bool
	direct []uint64
	group  []uint64
	groups int
}

// kind returns a user's assignment.
func (a *access) kind(userID string) domain.AssignmentKind {
	if !a.known {
		return domain.AssignmentUnknown
	}
	h := subjectHash(userID)
	if _, ok := slices.BinarySearch(a.direct, h); ok {
		return domain.AssignmentDirect
	}
	if _, ok := slices.BinarySearch(a.group, h); ok {
		return domain.AssignmentGroup
	}
	return domain.AssignmentNone
}

// loadAccess pages the app's assignments and the direct members of each
// assigned group (groups in parallel, up to workers at a time). Members
// that are groups are ignored: nested groups do not grant access.
func (j *Job) loadAccess(ctx context.Context, workers int) (*access, error) {
	sp, err := j.Directory.AppServicePrincipal(ctx)
	if domain.IsCode(err, domain.ENOTFOUND) {
		return &access{}, nil
	}
	if err != nil {
		return nil, err
	}
	a := &access{known: true}
	var groups []string
	link := ""
	for {
		info, err := j.Directory.AppAssignments(ctx, sp, link, func(as domain.AppAssignment) error {
			switch strings.ToLower(as.PrincipalType) {
			case "user":
				a.direct = append(a.direct, subjectHash(as.PrincipalID))
			case "group":
				groups = append(groups, as.PrincipalID)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if info.Next == "" {
			break
		}
		link = info.Next
	}
	slices.Sort(groups)
	groups = slices.Compact(groups)
	a.groups = len(groups)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var first error
	sem := make(chan struct{}, max(workers, 1))
	for _, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var mine []uint64
			link := ""
			for ctx.Err() == nil {
				info, err := j.Directory.GroupMembers(ctx, g, link, func(m domain.DirectoryMember) error {
					if m.Type == "" || strings.EqualFold(m.Type, "user") {
						mine = append(mine, subjectHash(m.ID))
					}
					return nil
				})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
				if info.Next == "" {
					break
				}
				link = info.Next
			}
			mu.Lock()
			a.group = append(a.group, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.Sort(a.direct)
	a.direct = slices.Compact(a.direct)
	slices.Sort(a.group)
	a.group = slices.Compact(a.group)
	return a, nil
}
