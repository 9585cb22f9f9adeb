package domain

import "context"

// GroupMemberRanges is what a BulkDirectory offers when it can read the
// users among a group's direct members in userPrincipalName ranges, so a
// large group is read by several workers at once (Graph has no $skip on
// members). The audit uses it when the directory implements it and falls
// back to GroupMembers, one page after another, otherwise.
type GroupMemberRanges interface {
	// CountGroupUsers returns how many of the group's direct members are
	// users in r (an eventually consistent count), or -1 when unknown.
	CountGroupUsers(ctx context.Context, groupID string, r UserRange) (int64, error)
	// GroupUsers reads one page of the group's direct members that are
	// users in r (nested groups, devices and contacts are left out).
	GroupUsers(ctx context.Context, groupID string, r UserRange, link string, fn func(DirectoryMember) error) (PageInfo, error)
}

// MemberChange is one change of a group's direct membership.
type MemberChange struct {
	GroupID string
	Member  DirectoryMember
	// Removed is set when the member left the group.
	Removed bool
}

// GroupsDelta is what a BulkDirectory offers when it can follow the
// membership changes of given groups (Graph's groups/delta with
// members@delta), so a delta run sees people added to or removed from an
// assigned group.
type GroupsDelta interface {
	// LatestGroupsDeltaLinks returns delta links that report membership
	// changes of groupIDs from now on, without listing members (one link
	// per batch of groups the directory accepts in one query).
	LatestGroupsDeltaLinks(ctx context.Context, groupIDs []string) ([]string, error)
	// GroupsDelta reads one page of a round started from a link; the last
	// page's PageInfo.DeltaLink is the link of the next round. An expired
	// link is an error wrapping ErrDeltaExpired.
	GroupsDelta(ctx context.Context, link string, fn func(MemberChange) error) (PageInfo, error)
	// UsersByID reads the given users (as many requests as the directory
	// needs), for the members whose membership changed; ids it does not
	// know are left out.
	UsersByID(ctx context.Context, ids []string, fn func(*User) error) error
}
