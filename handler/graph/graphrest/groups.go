package graphrest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

var (
	_ domain.GroupMemberRanges = (*Client)(nil)
	_ domain.GroupsDelta       = (*Client)(nil)
)

// eventual is the header of Graph's advanced queries
// (learn.microsoft.com/graph/aad-advanced-queries): with $count=true it is
// required on groups/{id}/members for $filter and for the OData cast to
// microsoft.graph.user (learn.microsoft.com/graph/api/group-list-members,
// "Request headers").
func eventual() http.Header { return http.Header{"Consistencylevel": {"eventual"}} }

// groupUsersLink is the first-page link of the users among a group's
// direct members in r: the documented OData cast
// groups/{id}/members/microsoft.graph.user (examples 3 and 4 of
// group-list-members) with the user's own userPrincipalName ge/le filter
// (the user resource documents ge and le on userPrincipalName), as an
// advanced query.
func (c *Client) groupUsersLink(groupID string, r domain.UserRange, sel, top string) string {
	v := url.Values{}
	v.Set("$count", "true")
	v.Set("$select", sel)
	v.Set("$top", top)
	if f := rangeFilter(r); f != "" {
		v.Set("$filter", f)
	}
	return "/v1.0/groups/" + url.PathEscape(groupID) + "/members/microsoft.graph.user?" + v.Encode()
}

// CountGroupUsers asks Graph how many of the group's direct members are
// users in r: one cheap advanced query ($count=true, $top=1).
func (c *Client) CountGroupUsers(ctx context.Context, groupID string, r domain.UserRange) (int64, error) {
	_, n, err := c.page(ctx, c.groupUsersLink(groupID, r, "id", "1"), eventual(), func(dec *json.Decoder) error { return skipValue(dec) })
	return n, err
}

// GroupUsers reads one page of the users among the group's direct members
// in r. As in ListUsers, a user whose UPN equals r.After ("ge" returns it)
// belongs to the range before and is dropped.
func (c *Client) GroupUsers(ctx context.Context, groupID string, r domain.UserRange, link string, fn func(domain.DirectoryMember) error) (PageInfo, error) {
	if link == "" {
		link = c.groupUsersLink(groupID, r, "id,userPrincipalName", c.top)
	}
	var m struct {
		ID  string `json:"id"`
		UPN string `json:"userPrincipalName"`
	}
	info, _, err := c.page(ctx, link, eventual(), func(dec *json.Decoder) error {
		m.ID, m.UPN = "", ""
		if err := dec.Decode(&m); err != nil {
			return err
		}
		if r.After != "" && strings.EqualFold(m.UPN, r.After) {
			return nil
		}
		if err := fn(domain.DirectoryMember{ID: m.ID, Type: "user"}); err != nil {
			return callbackError{err}
		}
		return nil
	})
	return info, err
}

// groupsDeltaBatch is how many groups one groups/delta query may name:
// "There is a limit of 50 filtered objects"
// (learn.microsoft.com/graph/api/group-delta, "OData query parameters").
const groupsDeltaBatch = 50

// LatestGroupsDeltaLinks returns, per batch of 50 groups, a groups/delta
// link that reports their membership changes from now on: $select=members
// (members@delta), $filter on id (the only filter groups/delta supports)
// and $deltatoken=latest ("Sync from now",
// learn.microsoft.com/graph/migrate-azure-ad-graph-feature-changes,
// "Differential queries").
func (c *Client) LatestGroupsDeltaLinks(ctx context.Context, groupIDs []string) ([]string, error) {
	var links []string
	for start := 0; start < len(groupIDs); start += groupsDeltaBatch {
		batch := groupIDs[start:min(start+groupsDeltaBatch, len(groupIDs))]
		ors := make([]string, len(batch))
		for i, id := range batch {
			ors[i] = "id eq " + graphapi.String(id)
		}
		v := url.Values{}
		v.Set("$select", "members")
		v.Set("$filter", strings.Join(ors, " or "))
		link := "/v1.0/groups/delta?" + v.Encode() + "&$deltatoken=latest"
		for i := 0; ; i++ {
			info, _, err := c.page(ctx, link, nil, func(dec *json.Decoder) error { return skipValue(dec) })
			if err != nil {
				return nil, err
			}
			if info.DeltaLink != "" {
				links = append(links, info.DeltaLink)
				break
			}
			if info.Next == "" || i == 100 {
				return nil, domain.Errorf(domain.EUPSTREAM, "graph: groups/delta with $deltatoken=latest gave no @odata.deltaLink")
			}
			link = info.Next
		}
	}
	return links, nil
}

// GroupsDelta reads one page of a groups/delta round and hands over each
// entry of each group's members@delta: a member added, or one carrying
// @removed (learn.microsoft.com/graph/delta-query-overview, "Resource
// representation in the delta query response"). A removed group (the
// group itself carries @removed) is reported as nothing: the next full scan
// reads who is assigned afresh.
func (c *Client) GroupsDelta(ctx context.Context, link string, fn func(domain.MemberChange) error) (PageInfo, error) {
	type wireMember struct {
		Type    string          `json:"@odata.type"`
		ID      string          `json:"id"`
		Removed json.RawMessage `json:"@removed"`
	}
	var g struct {
		ID      string       `json:"id"`
		Members []wireMember `json:"members@delta"`
	}
	info, _, err := c.page(ctx, link, nil, func(dec *json.Decoder) error {
		g.ID, g.Members = "", g.Members[:0]
		if err := dec.Decode(&g); err != nil {
			return err
		}
		for _, m := range g.Members {
			ch := domain.MemberChange{GroupID: g.ID, Removed: len(m.Removed) > 0 && string(m.Removed) != "null",
				Member: domain.DirectoryMember{ID: m.ID, Type: strings.TrimPrefix(m.Type, "#microsoft.graph.")}}
			if err := fn(ch); err != nil {
				return callbackError{err}
			}
		}
		return nil
	})
	return info, err
}

// maxURL is the longest URL an advanced query may have: "When using the in
// operator, the request is limited to 15 expressions in the filter clause
// by default OR a URL length of 2,048 characters when using advanced query
// capabilities" (learn.microsoft.com/graph/known-issues, "Some limitations
// apply to query parameters").
const maxURL = 2048

// UsersByID reads the given users with "id in (…)" advanced queries, as
// many ids per request as fit in Graph's URL limit.
func (c *Client) UsersByID(ctx context.Context, ids []string, fn func(*domain.User) error) error {
	host := "https://graph.microsoft.com"
	for len(ids) > 0 {
		n := 0
		var link string
		for n < len(ids) {
			next := usersByIDLink(ids[:n+1])
			if n > 0 && len(host)+len(next) > maxURL {
				break
			}
			link, n = next, n+1
		}
		ids = ids[n:]
		for link != "" {
			info, _, err := c.page(ctx, link, eventual(), eachUser(fn, nil))
			if err != nil {
				return err
			}
			link = info.Next
		}
	}
	return nil
}

func usersByIDLink(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = graphapi.String(id)
	}
	v := url.Values{}
	v.Set("$filter", "id in ("+strings.Join(quoted, ",")+")")
	v.Set("$select", UserSelect)
	v.Set("$count", "true")
	v.Set("$top", "999")
	return "/v1.0/users?" + v.Encode()
}
