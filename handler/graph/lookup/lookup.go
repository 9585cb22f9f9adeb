// Package lookup is the Graph adapter for point reads about ONE user, for the
// diagnose job (domain.UserDirectory): find the user by UPN or mail, their
// assignment to the Aircall app (directly, or as a direct member of an
// assigned group), and the app's emailaddress claim configuration.
//
// It uses the azcore pipeline (bearer token, retries honouring Retry-After)
// and plain JSON: a diagnosis is a handful of small GETs, and the bulk-read
// pager and msgraph-sdk-go are for other jobs. It only reads; it decides
// nothing (the rules do).
package lookup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Options configures a Directory.
type Options struct {
	// BaseURL is the Graph root, e.g. https://graph.microsoft.com (no version).
	BaseURL string
	// Credential gets Graph tokens (managed identity in Azure).
	Credential azcore.TokenCredential
	// AppID is the Aircall app's appId when known (APP_ID); otherwise the
	// app's service principal is found by domain.ManagedTag, then DisplayName.
	AppID       string
	DisplayName string
	// CacheFor is how long app-wide facts (service principal, assignments,
	// claim configuration) are reused; default 1 minute.
	CacheFor time.Duration
	// ClientOptions tunes the transport and retries (tests).
	ClientOptions policy.ClientOptions
}

// Directory implements domain.UserDirectory over Microsoft Graph.
type Directory struct {
	o    Options
	pl   runtime.Pipeline
	base string

	// App-wide facts, reused for CacheFor and refreshed in the background
	// after that (see cached).
	sp       cached[string]
	assigned cached[map[string]string] // principal id → display name
	claim    cached[domain.ClaimConfig]
}

var _ domain.UserDirectory = (*Directory)(nil)

// New builds a Directory; it does no I/O.
func New(o Options) (*Directory, error) {
	if o.BaseURL == "" || o.Credential == nil {
		return nil, domain.Errorf(domain.EINVALID, "graph lookup: GRAPH_BASE_URL and a credential are required")
	}
	if o.CacheFor == 0 {
		o.CacheFor = time.Minute
	}
	base := strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil {
		return nil, domain.Wrap(domain.EINVALID, err, "graph lookup: GRAPH_BASE_URL is not a URL")
	}
	scope := u.Scheme + "://" + u.Host + "/.default"
	if u.Scheme == "http" {
		// Only the local simulator is reached over http (config allows http
		// for loopback hosts only); its token scope is Graph's.
		scope = "https://graph.microsoft.com/.default"
	}
	bearer := runtime.NewBearerTokenPolicy(o.Credential, []string{scope}, &policy.BearerTokenOptions{
		InsecureAllowCredentialWithHTTP: u.Scheme == "http",
	})
	if o.ClientOptions.Retry.MaxRetries == 0 {
		o.ClientOptions.Retry = policy.RetryOptions{MaxRetries: 4, RetryDelay: 500 * time.Millisecond, MaxRetryDelay: 30 * time.Second,
			StatusCodes: []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusInternalServerError}}
	}
	pl := runtime.NewPipeline("aircall-entra-sso", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, &o.ClientOptions)
	d := &Directory{o: o, pl: pl, base: base}
	// A stale fact is served while it is refreshed, for up to 10 × CacheFor.
	maxAge := 10 * o.CacheFor
	d.sp = cached[string]{ttl: o.CacheFor, maxAge: maxAge, load: d.loadServicePrincipal}
	d.assigned = cached[map[string]string]{ttl: o.CacheFor, maxAge: maxAge, load: d.loadAssignments}
	d.claim = cached[domain.ClaimConfig]{ttl: o.CacheFor, maxAge: maxAge, load: d.loadClaim}
	return d, nil
}

const userSelect = "id,userPrincipalName,mail,displayName,accountEnabled,userType"

// FindUser looks the user up by UPN or mail (Graph compares both
// case-insensitively) and works out their assignment to the app. One Graph
// request does both: the user's direct groups come expanded with the user
// ($expand=memberOf), checked against the app's assigned principals (cached).
// Graph expands at most 20 related objects, so for a user in 20 groups or
// more the groups are paged with a second request.
func (d *Directory) FindUser(ctx context.Context, key string) (domain.User, domain.Assignment, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 256 {
		return domain.User{}, domain.Assignment{}, domain.FieldError("user", "must be a UPN or an email address")
	}
	// The assigned principals are app-wide and usually cached; fetch them
	// alongside the user when they are not.
	type assignedResult struct {
		m   map[string]string
		err error
	}
	assignedCh := make(chan assignedResult, 1)
	go func() {
		m, err := d.assigned.get(ctx)
		assignedCh <- assignedResult{m, err}
	}()

	q := odataString(key)
	v := url.Values{}
	v.Set("$filter", "userPrincipalName eq "+q+" or mail eq "+q)
	v.Set("$select", userSelect)
	v.Set("$expand", "memberOf($select=id,displayName)")
	var page struct {
		Value []struct {
			graphUser
			MemberOf []directoryObject `json:"memberOf"`
		} `json:"value"`
	}
	err := d.get(ctx, "/v1.0/users?"+v.Encode(), nil, &page)
	ar := <-assignedCh
	if err != nil {
		return domain.User{}, domain.Assignment{}, err
	}
	best := -1
	for i := range page.Value {
		if strings.EqualFold(page.Value[i].UserPrincipalName, key) {
			best = i
			break
		}
		if best < 0 {
			best = i
		}
	}
	if best < 0 {
		return domain.User{}, domain.Assignment{}, domain.Errorf(domain.ENOTFOUND, "no user has the UPN or mail %q", key)
	}
	found := page.Value[best]
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
	if len(found.MemberOf) < expandLimit {
		return u, domain.Assignment{Kind: domain.AssignmentNone}, nil
	}
	// The expansion may have been cut at Graph's limit: page the rest.
	next := "/v1.0/users/" + url.PathEscape(u.ID) + "/memberOf?$select=id,displayName&$top=999"
	for next != "" {
		var page struct {
			Value []directoryObject `json:"value"`
			Next  string            `json:"@odata.nextLink"`
		}
		if err := d.get(ctx, next, nil, &page); err != nil {
			return domain.User{}, domain.Assignment{}, err
		}
		if a, ok := groupAssignment(page.Value, assigned); ok {
			return u, a, nil
		}
		next = page.Next
	}
	return u, domain.Assignment{Kind: domain.AssignmentNone}, nil
}

// expandLimit is how many related objects Graph returns for an $expand on
// directory objects (learn.microsoft.com/graph/query-parameters): a list
// this long may have been cut.
const expandLimit = 20

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

// EmailClaim reads the claim configuration in effect: a v1.0 claims mapping
// policy when one is attached (it overrides everything), else the custom
// claims policy the portal edits (beta), else Entra's default (user.mail).
func (d *Directory) EmailClaim(ctx context.Context) (domain.ClaimConfig, error) {
	return d.claim.get(ctx)
}

func (d *Directory) loadClaim(ctx context.Context) (domain.ClaimConfig, error) {
	sp, err := d.sp.get(ctx)
	if err != nil {
		return domain.ClaimConfig{}, err
	}
	return d.readClaim(ctx, sp)
}

func (d *Directory) readClaim(ctx context.Context, sp string) (domain.ClaimConfig, error) {
	var policies struct {
		Value []struct {
			Definition []string `json:"definition"`
		} `json:"value"`
	}
	if err := d.get(ctx, "/v1.0/servicePrincipals/"+url.PathEscape(sp)+"/claimsMappingPolicies", nil, &policies); err != nil {
		return domain.ClaimConfig{}, err
	}
	for _, p := range policies.Value {
		for _, def := range p.Definition {
			if src, ok := mappingPolicySource(def); ok {
				return domain.ClaimConfig{Source: src, Origin: domain.ClaimOriginMappingPolicy}, nil
			}
		}
	}
	var cp struct {
		Claims []struct {
			Name           string `json:"name"`
			Namespace      string `json:"namespace"`
			Configurations []struct {
				Attribute *struct {
					ID     string `json:"id"`
					Source string `json:"source"`
				} `json:"attribute"`
			} `json:"configurations"`
		} `json:"claims"`
	}
	err := d.get(ctx, "/beta/servicePrincipals/"+url.PathEscape(sp)+"/claimsPolicy", nil, &cp)
	if err != nil && !domain.IsCode(err, domain.ENOTFOUND) {
		return domain.ClaimConfig{}, err
	}
	for _, c := range cp.Claims {
		full := c.Name
		if c.Namespace != "" {
			full = strings.TrimRight(c.Namespace, "/") + "/" + c.Name
		}
		if !strings.EqualFold(c.Name, "emailaddress") && !strings.EqualFold(full, domain.EmailClaimType) {
			continue
		}
		for _, cfg := range c.Configurations {
			if cfg.Attribute != nil && strings.EqualFold(cfg.Attribute.Source, "user") {
				if src := domain.ClaimSource(strings.ToLower(cfg.Attribute.ID)); src.Valid() {
					return domain.ClaimConfig{Source: src, Origin: domain.ClaimOriginClaimsPolicy}, nil
				}
			}
		}
	}
	return domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault}, nil
}

// mappingPolicySource reads the emailaddress claim's source from a claims
// mapping policy definition.
func mappingPolicySource(def string) (domain.ClaimSource, bool) {
	var p struct {
		ClaimsMappingPolicy struct {
			ClaimsSchema []struct {
				Source        string `json:"Source"`
				ID            string `json:"ID"`
				SamlClaimType string `json:"SamlClaimType"`
			} `json:"ClaimsSchema"`
		} `json:"ClaimsMappingPolicy"`
	}
	if json.Unmarshal([]byte(def), &p) != nil {
		return "", false
	}
	for _, c := range p.ClaimsMappingPolicy.ClaimsSchema {
		if strings.EqualFold(c.SamlClaimType, domain.EmailClaimType) && strings.EqualFold(c.Source, "user") {
			src := domain.ClaimSource(strings.ToLower(c.ID))
			return src, src.Valid()
		}
	}
	return "", false
}

// loadAssignments reads the principals (users and groups) assigned to the app.
func (d *Directory) loadAssignments(ctx context.Context) (map[string]string, error) {
	sp, err := d.sp.get(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	next := "/v1.0/servicePrincipals/" + url.PathEscape(sp) + "/appRoleAssignedTo?$top=999"
	for next != "" {
		var page struct {
			Value []struct {
				PrincipalID          string `json:"principalId"`
				PrincipalDisplayName string `json:"principalDisplayName"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		if err := d.get(ctx, next, nil, &page); err != nil {
			return nil, err
		}
		for _, a := range page.Value {
			out[strings.ToLower(a.PrincipalID)] = a.PrincipalDisplayName
		}
		next = page.Next
	}
	return out, nil
}

// loadServicePrincipal finds the Aircall app's service principal id.
func (d *Directory) loadServicePrincipal(ctx context.Context) (string, error) {
	var filters []string
	if d.o.AppID != "" {
		filters = append(filters, "appId eq "+odataString(d.o.AppID))
	}
	filters = append(filters, "tags/any(t:t eq "+odataString(domain.ManagedTag)+")")
	if d.o.DisplayName != "" {
		filters = append(filters, "displayName eq "+odataString(d.o.DisplayName))
	}
	for _, f := range filters {
		v := url.Values{}
		v.Set("$filter", f)
		v.Set("$select", "id,appId,displayName")
		var page struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
		}
		if err := d.get(ctx, "/v1.0/servicePrincipals?"+v.Encode(), nil, &page); err != nil {
			return "", err
		}
		if len(page.Value) > 0 {
			return page.Value[0].ID, nil
		}
	}
	return "", domain.Errorf(domain.ENOTFOUND, "the Aircall enterprise app was not found in the tenant: run provision first, or set APP_ID")
}

// get GETs path (relative to the base, or an absolute nextLink on the same
// host) and decodes the JSON answer into out.
func (d *Directory) get(ctx context.Context, path string, hdr http.Header, out any) error {
	target := path
	if strings.HasPrefix(path, "/") {
		target = d.base + path
	} else if !strings.HasPrefix(path, d.base+"/") {
		return domain.Errorf(domain.EUPSTREAM, "graph: refusing to follow a link off %s", d.base)
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, target)
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "graph: build request")
	}
	req.Raw().Header.Set("Accept", "application/json")
	for k, vs := range hdr {
		req.Raw().Header[k] = vs
	}
	resp, err := d.pl.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return domain.Wrap(domain.EUNAVAILABLE, err, "graph: request cancelled or timed out")
		}
		return domain.Wrap(domain.EUNAVAILABLE, err, "graph: unreachable")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return domain.Wrap(domain.EUNAVAILABLE, err, "graph: reading the answer")
	}
	if resp.StatusCode/100 != 2 {
		return graphError(resp.StatusCode, body, req.Raw().URL.Path)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return domain.Wrap(domain.EUPSTREAM, err, "graph: %s answered with unexpected JSON", req.Raw().URL.Path)
	}
	return nil
}

// graphError maps a Graph error answer to the domain vocabulary.
func graphError(status int, body []byte, path string) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	msg := fmt.Sprintf("graph: %s answered %d %s: %s", path, status, e.Error.Code, e.Error.Message)
	switch {
	case status == http.StatusNotFound:
		return domain.Errorf(domain.ENOTFOUND, "%s", msg)
	case status == http.StatusForbidden:
		return domain.Errorf(domain.EFORBIDDEN, "%s — grant the app's identity User.Read.All, GroupMember.Read.All, Application.Read.All and Policy.Read.All", msg)
	case status == http.StatusUnauthorized:
		return domain.Errorf(domain.EUPSTREAM, "%s — the managed identity's token was refused", msg)
	case status == http.StatusTooManyRequests || status >= 500:
		return domain.Errorf(domain.EUNAVAILABLE, "%s", msg)
	default:
		return domain.Errorf(domain.EUPSTREAM, "%s", msg)
	}
}

// odataString quotes s as an OData string literal.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type graphUser struct {
	ID                string  `json:"id"`
	UserPrincipalName string  `json:"userPrincipalName"`
	Mail              *string `json:"mail"`
	DisplayName       string  `json:"displayName"`
	AccountEnabled    *bool   `json:"accountEnabled"`
	UserType          string  `json:"userType"`
}

func (g graphUser) domain() domain.User {
	u := domain.User{ID: g.ID, UserPrincipalName: g.UserPrincipalName, DisplayName: g.DisplayName, UserType: g.UserType, AccountEnabled: true}
	if g.Mail != nil {
		u.Mail = *g.Mail
	}
	if g.AccountEnabled != nil {
		u.AccountEnabled = *g.AccountEnabled
	}
	return u
}
