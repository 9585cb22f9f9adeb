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

// wireUser is a user as Graph sends it with UserSelect. It is decoded into
// one reused value per page.
type wireUser struct {
	ID                string          `json:"id"`
	UserPrincipalName string          `json:"userPrincipalName"`
	Mail              string          `json:"mail"`
	DisplayName       string          `json:"displayName"`
	AccountEnabled    bool            `json:"accountEnabled"`
	UserType          string          `json:"userType"`
	ProxyAddresses    []string        `json:"proxyAddresses"`
	Removed           json.RawMessage `json:"@removed"`
}

// eachUser returns an onValue that decodes users into one reused value and
// calls fn; skip, when set, drops users it returns true for.
func eachUser(fn func(*domain.User) error, skip func(*wireUser) bool) func(*json.Decoder) error {
	var w wireUser
	var u domain.User
	return func(dec *json.Decoder) error {
		// accountEnabled absent (a delta item with only some properties)
		// or null reads as enabled, like Graph's default.
		// The proxy addresses' backing array is reused from user to user.
		w = wireUser{AccountEnabled: true, ProxyAddresses: w.ProxyAddresses[:0]}
		if err := dec.Decode(&w); err != nil {
			return err
		}
		if skip != nil && skip(&w) {
			return nil
		}
		u = domain.User{ID: w.ID, UserPrincipalName: w.UserPrincipalName, Mail: w.Mail, DisplayName: w.DisplayName,
			AccountEnabled: w.AccountEnabled, UserType: w.UserType, ProxyAddresses: strings.Join(w.ProxyAddresses, "\n"), Removed: len(w.Removed) > 0 && string(w.Removed) != "null"}
		if err := fn(&u); err != nil {
			return callbackError{err}
		}
		return nil
	}
}

// rangeFilter is the $filter of r: ge/le on userPrincipalName, which Graph
// supports on users without advanced query parameters (there is no $skip
// on users, and gt/lt are not supported).
func rangeFilter(r domain.UserRange) string {
	var parts []string
	if r.After != "" {
		parts = append(parts, "userPrincipalName ge "+graphapi.String(r.After))
	}
	if r.Upto != "" {
		parts = append(parts, "userPrincipalName le "+graphapi.String(r.Upto))
	}
	return strings.Join(parts, " and ")
}

// UsersLink is the first-page link of the users in r.
func (c *Client) UsersLink(r domain.UserRange) string {
	v := url.Values{}
	v.Set("$select", UserSelect)
	v.Set("$top", c.top)
	if f := rangeFilter(r); f != "" {
		v.Set("$filter", f)
	}
	return "/v1.0/users?" + v.Encode()
}

// ListUsers reads one page of the users in r. The range's lower bound is
// exclusive: a user whose UPN equals r.After (which "ge" returns) belongs to
// the range before and is dropped here.
func (c *Client) ListUsers(ctx context.Context, r domain.UserRange, link string, fn func(*domain.User) error) (PageInfo, error) {
	if link == "" {
		link = c.UsersLink(r)
	}
	var skip func(*wireUser) bool
	if r.After != "" {
		after := r.After
		skip = func(w *wireUser) bool { return strings.EqualFold(w.UserPrincipalName, after) }
	}
	info, _, err := c.page(ctx, link, nil, eachUser(fn, skip))
	return info, err
}

// CountUsers asks Graph for the number of users in r with an advanced query
// ($count=true, ConsistencyLevel: eventual, $top=1): one cheap request.
func (c *Client) CountUsers(ctx context.Context, r domain.UserRange) (int64, error) {
	v := url.Values{}
	v.Set("$select", "id")
	v.Set("$top", "1")
	v.Set("$count", "true")
	if f := rangeFilter(r); f != "" {
		v.Set("$filter", f)
	}
	hdr := http.Header{"Consistencylevel": {"eventual"}}
	_, n, err := c.page(ctx, "/v1.0/users?"+v.Encode(), hdr, func(dec *json.Decoder) error { return skipValue(dec) })
	return n, err
}

// UsersDelta reads one page of a users delta round (link "" starts one that
// lists every user). Deleted users come back with Removed set.
func (c *Client) UsersDelta(ctx context.Context, link string, fn func(*domain.User) error) (PageInfo, error) {
	if link == "" {
		link = "/v1.0/users/delta?$select=" + UserSelect
	}
	// Delta refuses $top; the page size is asked for with Prefer.
	hdr := http.Header{"Prefer": {"odata.maxpagesize=" + c.top}}
	info, _, err := c.page(ctx, link, hdr, eachUser(fn, nil))
	return info, err
}

// LatestDeltaLink returns a delta link that reports changes from now on.
func (c *Client) LatestDeltaLink(ctx context.Context) (string, error) {
	link := "/v1.0/users/delta?$deltatoken=latest&$select=" + UserSelect
	for i := 0; i < 100; i++ {
		info, _, err := c.page(ctx, link, nil, func(dec *json.Decoder) error { return skipValue(dec) })
		if err != nil {
			return "", err
		}
		if info.DeltaLink != "" {
			return info.DeltaLink, nil
		}
		if info.Next == "" {
			break
		}
		link = info.Next
	}
	return "", domain.Errorf(domain.EUPSTREAM, "graph: users/delta with $deltatoken=latest gave no @odata.deltaLink")
}
