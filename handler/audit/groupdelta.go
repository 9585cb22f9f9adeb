package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Membership changes between full scans. users/delta says nothing about
// group membership, so a full scan also takes, before it reads the members
// of the assigned groups, groups/delta links for those groups
// (domain.GroupsDelta: members@delta, "sync from now"). A delta run follows
// them: each member added to or removed from an assigned group changes the
// saved assignment set (one hash per group membership), and the members
// whose membership changed are read and checked again like the users
// users/delta reports. A link Graph no longer honours turns the run into a
// full resync, as an expired users/delta link does.

// accessLinksKey is the checkpoint key of the groups/delta links.
const accessLinksKey = "access-links"

// accessLinks is the saved document: the links and the run that took them.
type accessLinks struct {
	RunID string   `json:"runId"`
	Links []string `json:"links"`
}

// takeGroupLinks asks for groups/delta links for the assigned groups; a
// failure only costs the next delta runs their view of membership changes.
func (j *Job) takeGroupLinks(ctx context.Context, groups []string) []string {
	gd, ok := j.Directory.(domain.GroupsDelta)
	if !ok || len(groups) == 0 {
		return nil
	}
	links, err := gd.LatestGroupsDeltaLinks(ctx, groups)
	if err != nil {
		j.log().Warn("audit: could not take groups/delta links; delta runs will not see membership changes until the next full scan", "error", err.Error())
		return nil
	}
	return links
}

// saveGroupLinks saves a's links (nothing when it has none).
func (j *Job) saveGroupLinks(ctx context.Context, a *access) error {
	data, err := json.Marshal(accessLinks{RunID: a.runID, Links: a.links})
	if err != nil {
		return err
	}
	return j.saveBlob(ctx, accessLinksKey, data)
}

// followMemberships applies the membership changes since the saved links
// to the saved set a and records the members to check again
// (a.affected). It returns domain.ErrDeltaExpired when a link expired.
func (j *Job) followMemberships(ctx context.Context, a *access) error {
	gd, ok := j.Directory.(domain.GroupsDelta)
	if !ok || !a.known {
		return nil
	}
	data, _, err := j.Checkpoints.Load(ctx, j.key(accessLinksKey))
	if domain.IsCode(err, domain.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: load the groups/delta links: %w", err)
	}
	var saved accessLinks
	if err := json.Unmarshal(data, &saved); err != nil || saved.RunID != a.runID {
		j.log().Warn("audit: the saved groups/delta links do not belong to the saved assignment set; membership changes are read by the next full scan")
		return nil
	}
	affected := map[string]struct{}{}
	var next []string
	added, removed := 0, 0
	for _, link := range saved.Links {
		for link != "" {
			info, err := gd.GroupsDelta(ctx, link, func(ch domain.MemberChange) error {
				if ch.Member.Type != "" && !strings.EqualFold(ch.Member.Type, "user") {
					return nil // nested groups do not grant access
				}
				if a.applyChange(ch) {
					if ch.Removed {
						removed++
					} else {
						added++
					}
				}
				affected[strings.ToLower(ch.Member.ID)] = struct{}{}
				return nil
			})
			if errors.Is(err, domain.ErrDeltaExpired) {
				return domain.ErrDeltaExpired
			}
			if err != nil {
				return fmt.Errorf("audit: read the groups delta: %w", err)
			}
			if info.DeltaLink != "" {
				next = append(next, info.DeltaLink)
			}
			link = info.Next
		}
	}
	a.links = next
	for id := range affected {
		a.affected = append(a.affected, id)
	}
	slices.Sort(a.affected)
	j.log().Info("audit: membership changes of the assigned groups", "added", added, "removed", removed, "usersToCheck", len(a.affected))
	return nil
}

// applyChange applies one membership change to the set and reports
// whether it changed anything: with the memberships known (pairs), a
// change Graph reports again is applied once.
func (a *access) applyChange(ch domain.MemberChange) bool {
	h := subjectHash(ch.Member.ID)
	if a.pairs != nil {
		p := pairHash(ch.GroupID, h)
		i, member := slices.BinarySearch(a.pairs, p)
		switch {
		case ch.Removed && member:
			a.pairs = slices.Delete(a.pairs, i, i+1)
		case !ch.Removed && !member:
			a.pairs = slices.Insert(a.pairs, i, p)
		default:
			return false
		}
	}
	if ch.Removed {
		a.group = removeOne(a.group, h)
	} else {
		a.group = insertOne(a.group, h)
	}
	return true
}

func insertOne(s []uint64, h uint64) []uint64 {
	i, _ := slices.BinarySearch(s, h)
	return slices.Insert(s, i, h)
}

func removeOne(s []uint64, h uint64) []uint64 {
	if i, ok := slices.BinarySearch(s, h); ok {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// checkAffected reads and checks the members whose membership changed, as
// one committed page of changed users, then saves the updated assignment
// set and the next groups/delta links (not in a dry run).
func (r *reader) checkAffected(ctx context.Context) error {
	a := r.eval.acc
	if len(a.affected) == 0 && a.links == nil {
		return nil
	}
	if len(a.affected) > 0 {
		var pg changedPage
		if err := r.j.Directory.(domain.GroupsDelta).UsersByID(ctx, a.affected, r.recheck(&pg)); err != nil {
			return fmt.Errorf("audit: read the members whose membership changed: %w", err)
		}
		if err := r.commitPage(ctx, pg.found, pg.changed, pg.scanned, pg.checked, func(*runState) {}); err != nil {
			return err
		}
		a.affected = nil
	}
	if r.rec.dry {
		return nil
	}
	if err := r.j.saveBlob(ctx, accessKey, a.encode()); err != nil {
		return fmt.Errorf("audit: save the assignment set: %w", err)
	}
	if err := r.j.saveGroupLinks(ctx, a); err != nil {
		return fmt.Errorf("audit: save the groups/delta links: %w", err)
	}
	a.links = nil
	return nil
}
