package inmem

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// ServicePrincipalID is the id of the Aircall app's service principal in a
// Directory.
const ServicePrincipalID = "inmem-aircall-sp"

var _ domain.BulkDirectory = (*Directory)(nil)

// ExpireDeltaLinks makes every delta link issued so far expire, as Graph's
// do after 7 days.
func (d *Directory) ExpireDeltaLinks() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deltaGen++
}

func (d *Directory) pageSize() int {
	if d.PageSize > 0 {
		return d.PageSize
	}
	return 999
}

// CountUsers implements domain.BulkDirectory.
func (d *Directory) CountUsers(ctx context.Context, r domain.UserRange) (int64, error) {
	if err := d.wait(ctx); err != nil {
		return 0, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	n := int64(0)
	for _, u := range d.users {
		if r.Contains(dirKey(u.UserPrincipalName)) {
			n++
		}
	}
	return n, nil
}

// ListUsers implements domain.BulkDirectory: users by lower-cased UPN.
func (d *Directory) ListUsers(ctx context.Context, r domain.UserRange, link string, fn func(*domain.User) error) (domain.PageInfo, error) {
	q, err := d.follow(ctx, link, "users")
	if err != nil {
		return domain.PageInfo{}, err
	}
	if link == "" {
		q.Set("after", r.After)
		q.Set("upto", r.Upto)
	}
	r = domain.UserRange{After: q.Get("after"), Upto: q.Get("upto")}
	d.mu.RLock()
	var users []domain.User
	for _, u := range d.users {
		if r.Contains(dirKey(u.UserPrincipalName)) {
			users = append(users, u)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(users, func(a, b domain.User) int {
		return strings.Compare(dirKey(a.UserPrincipalName), dirKey(b.UserPrincipalName))
	})
	info, err := page(q, "users", users, func(u domain.User) error { return fn(&u) }, d.pageSize())
	return info, err
}

// UsersDelta implements domain.BulkDirectory: a round lists the users
// changed since the link's sequence number (all of them for link ""), by id.
func (d *Directory) UsersDelta(ctx context.Context, link string, fn func(*domain.User) error) (domain.PageInfo, error) {
	q, err := d.follow(ctx, link, "delta")
	if err != nil {
		return domain.PageInfo{}, err
	}
	d.mu.RLock()
	gen, seq := strconv.Itoa(d.deltaGen), d.seq
	if link == "" {
		q.Set("since", "0")
		q.Set("gen", gen)
	}
	if !q.Has("upto") { // the first page of a round: it reports changes up to now
		q.Set("upto", strconv.FormatUint(seq, 10))
	}
	since, _ := strconv.ParseUint(q.Get("since"), 10, 64)
	upto, _ := strconv.ParseUint(q.Get("upto"), 10, 64)
	var users []domain.User
	for id, u := range d.users {
		if c := d.changedAt[id]; c > since && c <= upto {
			users = append(users, u)
		}
	}
	d.mu.RUnlock()
	if q.Get("gen") != gen {
		return domain.PageInfo{}, domain.Wrap(domain.EUPSTREAM, domain.ErrDeltaExpired, "inmem: the delta link expired")
	}
	slices.SortFunc(users, func(a, b domain.User) int { return strings.Compare(a.ID, b.ID) })
	info, err := page(q, "delta", users, func(u domain.User) error { return fn(&u) }, d.pageSize())
	if err == nil && info.Next == "" {
		info.DeltaLink = deltaLink(upto, gen)
	}
	return info, err
}

func deltaLink(since uint64, gen string) string {
	v := url.Values{"since": {strconv.FormatUint(since, 10)}, "gen": {gen}}
	return "inmem:delta?" + v.Encode()
}

// LatestDeltaLink implements domain.BulkDirectory.
func (d *Directory) LatestDeltaLink(ctx context.Context) (string, error) {
	if err := d.wait(ctx); err != nil {
		return "", err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return deltaLink(d.seq, strconv.Itoa(d.deltaGen)), nil
}

// AppServicePrincipal implements domain.BulkDirectory: the app always
// exists, as ServicePrincipalID.
func (d *Directory) AppServicePrincipal(ctx context.Context) (string, error) {
	return ServicePrincipalID, d.wait(ctx)
}

// AppAssignments implements domain.BulkDirectory: the users assigned
// directly (by id), then the groups in assignment order.
func (d *Directory) AppAssignments(ctx context.Context, spID, link string, fn func(domain.AppAssignment) error) (domain.PageInfo, error) {
	q, err := d.follow(ctx, link, "assignments")
	if err != nil {
		return domain.PageInfo{}, err
	}
	if spID != ServicePrincipalID {
		return domain.PageInfo{}, domain.Errorf(domain.ENOTFOUND, "inmem: no service principal %q", spID)
	}
	d.mu.RLock()
	var as []domain.AppAssignment
	for id := range d.assignedUsers {
		as = append(as, domain.AppAssignment{ID: "user-" + id, PrincipalID: id, PrincipalType: "User"})
	}
	slices.SortFunc(as, func(a, b domain.AppAssignment) int { return strings.Compare(a.PrincipalID, b.PrincipalID) })
	for _, id := range d.assignedGroups {
		as = append(as, domain.AppAssignment{ID: "group-" + id, PrincipalID: id, PrincipalType: "Group", PrincipalName: d.groups[id].name})
	}
	d.mu.RUnlock()
	return page(q, "assignments", as, fn, d.pageSize())
}

// GroupMembers implements domain.BulkDirectory: a group's direct members
// by id, typed "user" or "group".
func (d *Directory) GroupMembers(ctx context.Context, groupID, link string, fn func(domain.DirectoryMember) error) (domain.PageInfo, error) {
	q, err := d.follow(ctx, link, "members")
	if err != nil {
		return domain.PageInfo{}, err
	}
	d.mu.RLock()
	g, ok := d.groups[groupID]
	var ms []domain.DirectoryMember
	if ok {
		for id := range g.members {
			typ := "user"
			if _, isGroup := d.groups[id]; isGroup {
				typ = "group"
			}
			ms = append(ms, domain.DirectoryMember{ID: id, Type: typ})
		}
	}
	d.mu.RUnlock()
	if !ok {
		return domain.PageInfo{}, domain.Errorf(domain.ENOTFOUND, "inmem: no group %q", groupID)
	}
	slices.SortFunc(ms, func(a, b domain.DirectoryMember) int { return strings.Compare(a.ID, b.ID) })
	return page(q, "members", ms, fn, d.pageSize())
}

// follow waits the latency and parses a link of kind ("" starts afresh).
func (d *Directory) follow(ctx context.Context, link, kind string) (url.Values, error) {
	if err := d.wait(ctx); err != nil {
		return nil, err
	}
	if link == "" {
		return url.Values{}, nil
	}
	rest, ok := strings.CutPrefix(link, "inmem:"+kind+"?")
	q, err := url.ParseQuery(rest)
	if !ok || err != nil {
		return nil, domain.Errorf(domain.EINVALID, "inmem: %q is not a %s link", link, kind)
	}
	return q, nil
}

// page hands items [from, from+size) to fn and links the next page.
func page[T any](q url.Values, kind string, items []T, fn func(T) error, size int) (domain.PageInfo, error) {
	from, _ := strconv.Atoi(q.Get("from"))
	end := min(from+size, len(items))
	info := domain.PageInfo{}
	for _, it := range items[min(from, end):end] {
		if err := fn(it); err != nil {
			return domain.PageInfo{}, err
		}
		info.Items++
	}
	if end < len(items) {
		q.Set("from", strconv.Itoa(end))
		info.Next = fmt.Sprintf("inmem:%s?%s", kind, q.Encode())
	}
	return info, nil
}
