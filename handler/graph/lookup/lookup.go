// Package lookup is the Graph adapter for point reads about ONE user, for the
// diagnose job (domain.UserDirectory): find the user by UPN or mail, their
// assignment to the Aircall app (directly, or as a direct member of an
// assigned group), and the app's emailaddress claim configuration.
//
// It sends its handful of small GETs through graphrest, the project's one
// lean Graph REST client (bearer token, retries honouring Retry-After, Graph
// errors in the domain vocabulary), finds the app with the finder both
// Graph clients share and decides the claim with claimsdoc.Resolve, so there
// is one Graph plumbing, one app finder and one claim rule. It only reads;
// it decides nothing else (the rules do).
package lookup

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/claimsdoc"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/swr"
)

// Options configures a Directory.
type Options struct {
	// BaseURL is the Graph root, e.g. https://graph.microsoft.com (no version).
	BaseURL string
	// Credential gets Graph tokens (managed identity in Azure).
	Credential azcore.TokenCredential
	// Pin and Owner find the pinned Aircall app's service principal, by its
	// appId only and owned by Owner's identity (graphapi.ResolvePinned, the
	// rule both Graph clients share).
	Pin   domain.PinnedAppFunc
	Owner func(ctx context.Context) (string, error)
	// CacheFor is how long app-wide facts (service principal, assignments,
	// claim configuration) are reused; default 1 minute.
	CacheFor time.Duration
	// ClientOptions tunes the transport and retries (tests).
	ClientOptions policy.ClientOptions
	// TryTimeout bounds each try (default graphrest.DefaultTryTimeout).
	TryTimeout time.Duration
}

// Directory implements domain.UserDirectory over Microsoft Graph.
type Directory struct {
	c *graphrest.Client

	// App-wide facts, reused for CacheFor and refreshed in the background
	// after that (package swr).
	sp       swr.Value[string]
	assigned swr.Value[map[string]string] // principal id → display name
	claim    swr.Value[domain.ClaimConfig]
}

var _ domain.UserDirectory = (*Directory)(nil)

// New builds a Directory; it does no I/O.
func New(o Options) (*Directory, error) {
	if o.CacheFor == 0 {
		o.CacheFor = time.Minute
	}
	if o.ClientOptions.Retry.MaxRetries == 0 {
		// A person is waiting on a diagnosis: fewer, shorter retries than a scan.
		o.ClientOptions.Retry = policy.RetryOptions{MaxRetries: 4, RetryDelay: 500 * time.Millisecond, MaxRetryDelay: 30 * time.Second,
			StatusCodes: []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusInternalServerError}}
	}
	c, err := graphrest.New(graphrest.Options{BaseURL: o.BaseURL, Credential: o.Credential, Pin: o.Pin, Owner: o.Owner,
		ClientOptions: o.ClientOptions, TryTimeout: o.TryTimeout})
	if err != nil {
		return nil, err
	}
	d := &Directory{c: c}
	// A stale fact is served while it is refreshed, for up to 10 × CacheFor.
	maxAge := 10 * o.CacheFor
	d.sp = swr.Value[string]{TTL: o.CacheFor, MaxAge: maxAge, Load: c.FindAppServicePrincipal}
	d.assigned = swr.Value[map[string]string]{TTL: o.CacheFor, MaxAge: maxAge, Load: d.loadAssignments}
	d.claim = swr.Value[domain.ClaimConfig]{TTL: o.CacheFor, MaxAge: maxAge, Load: d.loadClaim}
	return d, nil
}

// FindUser looks the user up by UPN or mail (Graph compares both
// case-insensitively) and works out their assignment to the app. One Graph
// request does both: the user's direct groups come expanded with the user
// ($expand=memberOf, without nested options, which Graph does not support
// on directory objects), checked against the app's assigned principals
// (cached). Graph expands at most 20 related objects, so for a user in 20
// groups or more the groups are paged with a second request.
//
// Graph matches eq values of at most eqMaxChars characters in a default
// query; a longer key is looked up with an advanced query, which cannot
// expand, so its groups are paged. Should Graph refuse the expansion, this
// lookup (only this one: the refusal may be caused by its input) asks again
// without it.
func (d *Directory) FindUser(ctx context.Context, key string) (domain.User, domain.Assignment, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 256 {
		return domain.User{}, domain.Assignment{}, domain.FieldError("user", "must be a UPN or an email address")
	}
	link, hdr, expand, err := userQuery(key)
	if err != nil {
		return domain.User{}, domain.Assignment{}, err
	}
	// The assigned principals are app-wide and usually cached; fetch them
	// alongside the user when they are not.
	type assignedResult struct {
		m   map[string]string
		err error
	}
	assignedCh := make(chan assignedResult, 1)
	go func() {
		m, err := d.assigned.Get(ctx)
		assignedCh <- assignedResult{m, err}
	}()
	var page struct {
		Value []userWithGroups `json:"value"`
	}
	err = d.c.GetWith(ctx, link, hdr, &page)
	var se *graphapi.Failure
	if expand && errors.As(err, &se) && se.Status == http.StatusBadRequest {
		// Graph refused the expansion with this request: ask for the user
		// alone and page their groups (two round trips), for this lookup.
		expand = false
		link = strings.Replace(link, "&"+expandParam, "", 1)
		err = d.c.GetWith(ctx, link, hdr, &page)
	}
	ar := <-assignedCh
	if err != nil {
		return domain.User{}, domain.Assignment{}, err
	}
	found, ok := pick(page.Value, key)
	if !ok {
		return domain.User{}, domain.Assignment{}, domain.Errorf(domain.ENOTFOUND, "no user has the UPN or mail %q", key)
	}
	u := found.domain()
	if ar.err != nil {
		return domain.User{}, domain.Assignment{}, ar.err
	}
	assigned := ar.m
	if _, ok := assigned[strings.ToLower(u.ID)]; ok {
		return u, domain.Assignment{Kind: domain.AssignmentDirect}, nil
	}
	if a, ok := groupAssignment(found.MemberOf, assigned); ok {
		return u, a, nil
	}
	if expand && len(found.MemberOf) < expandLimit {
		return u, domain.Assignment{Kind: domain.AssignmentNone}, nil
	}
	// The expansion may have been cut at Graph's limit (or there was none):
	// page the groups.
	a, err := d.pageGroups(ctx, u.ID, assigned)
	if err != nil {
		return domain.User{}, domain.Assignment{}, err
	}
	return u, a, nil
}

// pick returns the user whose UPN is key, else the first (found by mail).
func pick(users []userWithGroups, key string) (userWithGroups, bool) {
	if len(users) == 0 {
		return userWithGroups{}, false
	}
	if i := slices.IndexFunc(users, func(u userWithGroups) bool { return strings.EqualFold(u.UserPrincipalName, key) }); i >= 0 {
		return users[i], true
	}
	return users[0], true
}

// Graph's documented limits on $filter (learn.microsoft.com/graph/known-issues,
// "Some limitations apply to query parameters"): "When filtering using the
// eq operator, the maximum limit of the value to match is 120 characters
// … When using advanced queries, the limit is applied on the URL length at
// 2,048 characters instead of the matched value." The same section: $expand
// on directory objects takes no nested $filter or $select; and $expand is
// not supported with advanced queries (learn.microsoft.com/graph/aad-advanced-queries).
const (
	eqMaxChars     = 120
	advancedMaxURL = 2048
	expandParam    = "$expand=memberOf"
)

// userQuery builds the lookup's request for key: a default query with the
// groups expanded when key fits Graph's eq limit, else an advanced query
// (ConsistencyLevel: eventual, $count=true) without expansion. A key too
// long even for that is refused without a request.
func userQuery(key string) (link string, hdr http.Header, expand bool, err error) {
	q := graphapi.String(key)
	v := url.Values{}
	v.Set("$filter", "userPrincipalName eq "+q+" or mail eq "+q)
	v.Set("$select", graphrest.UserSelect)
	link = "/v1.0/users?" + v.Encode()
	if utf8.RuneCountInString(key) <= eqMaxChars {
		return link + "&" + expandParam, nil, true, nil
	}
	link += "&$count=true"
	// The URL Graph sees: its host and path, then this query.
	if len("https://graph.microsoft.com")+len(link) > advancedMaxURL {
		return "", nil, false, domain.FieldError("user", "is too long to look up: Graph accepts URLs of at most %d characters", advancedMaxURL)
	}
	return link, http.Header{"Consistencylevel": {"eventual"}}, false, nil
}

// pageGroups pages the user's direct groups until one is assigned.
func (d *Directory) pageGroups(ctx context.Context, userID string, assigned map[string]string) (domain.Assignment, error) {
	next := "/v1.0/users/" + url.PathEscape(userID) + "/memberOf?$select=id,displayName&$top=999"
	for next != "" {
		var page struct {
			Value []directoryObject `json:"value"`
			Next  string            `json:"@odata.nextLink"`
		}
		if err := d.c.Get(ctx, next, &page); err != nil {
			return domain.Assignment{}, err
		}
		if a, ok := groupAssignment(page.Value, assigned); ok {
			return a, nil
		}
		next = page.Next
	}
	return domain.Assignment{Kind: domain.AssignmentNone}, nil
}

// expandLimit is how many related objects Graph returns for an $expand on
// directory objects (learn.microsoft.com/graph/query-parameters): a list
// this long may have been cut.
const expandLimit = 20

// userWithGroups is a user with their direct groups ($expand=memberOf).
type userWithGroups struct {
	graphUser
	MemberOf []directoryObject `json:"memberOf"`
}

// directoryObject is an entry of memberOf.
type directoryObject struct {
	Type        string `json:"@odata.type"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// groupAssignment finds an assigned group among a user's direct groups.
func groupAssignment(groups []directoryObject, assigned map[string]string) (domain.Assignment, bool) {
	for _, g := range groups {
		if g.Type != "" && g.Type != "#microsoft.graph.group" {
			continue
		}
		if _, ok := assigned[strings.ToLower(g.ID)]; ok {
			name := g.DisplayName
			if name == "" {
				name = g.ID
			}
			return domain.Assignment{Kind: domain.AssignmentGroup, Group: name}, true
		}
	}
	return domain.Assignment{}, false
}

// EmailClaim reads the claim configuration in effect (claimsdoc.Resolve): a
// v1.0 claims mapping policy that sources the claim when one is attached,
// else the custom claims policy the portal edits (beta), else Entra's
// default (user.mail).
func (d *Directory) EmailClaim(ctx context.Context) (domain.ClaimConfig, error) {
	return d.claim.Get(ctx)
}

func (d *Directory) loadClaim(ctx context.Context) (domain.ClaimConfig, error) {
	sp, err := d.sp.Get(ctx)
	if err != nil {
		return domain.ClaimConfig{}, err
	}
	return d.readClaim(ctx, sp)
}

// readClaim fetches the claim documents and applies the rule both Graph
// adapters share (claimsdoc.Resolve).
func (d *Directory) readClaim(ctx context.Context, sp string) (domain.ClaimConfig, error) {
	var policies struct {
		Value []struct {
			ID          string   `json:"id"`
			DisplayName string   `json:"displayName"`
			Definition  []string `json:"definition"`
		} `json:"value"`
	}
	if err := d.c.Get(ctx, "/v1.0/servicePrincipals/"+url.PathEscape(sp)+"/claimsMappingPolicies", &policies); err != nil {
		return domain.ClaimConfig{}, err
	}
	var attached []claimsdoc.MappingPolicy
	for _, p := range policies.Value {
		attached = append(attached, claimsdoc.MappingPolicy{ID: p.ID, Name: p.DisplayName, Definition: p.Definition})
	}
	st, err := claimsdoc.Resolve(attached, func() ([]byte, error) {
		var doc jsonDoc
		err := d.c.Get(ctx, "/beta/servicePrincipals/"+url.PathEscape(sp)+"/claimsPolicy", &doc)
		return doc, err
	})
	return st.ClaimConfig, err
}

// jsonDoc keeps a JSON answer as it came.
type jsonDoc []byte

func (j *jsonDoc) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

// loadAssignments reads the principals (users and groups) assigned to the app.
func (d *Directory) loadAssignments(ctx context.Context) (map[string]string, error) {
	sp, err := d.sp.Get(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	link := ""
	for {
		info, err := d.c.AppAssignments(ctx, sp, link, func(a domain.AppAssignment) error {
			out[strings.ToLower(a.PrincipalID)] = a.PrincipalName
			return nil
		})
		if err != nil {
			return nil, err
		}
		if link = info.Next; link == "" {
			return out, nil
		}
	}
}

type graphUser struct {
	ID                string  `json:"id"`
	UserPrincipalName string  `json:"userPrincipalName"`
	Mail              *string `json:"mail"`
	DisplayName       string  `json:"displayName"`
	AccountEnabled    *bool   `json:"accountEnabled"`
	UserType          string  `json:"userType"`
	// ProxyAddresses (Microsoft Graph, "user resource type": returned only
	// on $select) feed the Aircall checks' alias match.
	ProxyAddresses []string `json:"proxyAddresses"`
}

func (g graphUser) domain() domain.User {
	u := domain.User{ID: g.ID, UserPrincipalName: g.UserPrincipalName, DisplayName: g.DisplayName, UserType: g.UserType, AccountEnabled: true,
		ProxyAddresses: strings.Join(g.ProxyAddresses, "\n")}
	if g.Mail != nil {
		u.Mail = *g.Mail
	}
	if g.AccountEnabled != nil {
		u.AccountEnabled = *g.AccountEnabled
	}
	return u
}
