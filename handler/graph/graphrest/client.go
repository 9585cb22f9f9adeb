// Package graphrest is the project's one lean Microsoft Graph REST client:
// plain GETs on the azcore pipeline (bearer token, retries that honour
// Retry-After on 429/503 and retry connection resets), for the reads that
// msgraph-sdk-go is too heavy for. Its name says what it is — a REST client
// for Graph — rather than what its first user did with it (it was "bulk"):
// the audit job's bulk reads (domain.BulkDirectory: users in UPN ranges for
// parallel shards, users/delta, the Aircall app's appRoleAssignedTo, groups'
// direct members; domain.GroupMemberRanges: a group's user members in UPN
// ranges; domain.GroupsDelta: membership changes and users by id) go
// through its pager, and package lookup's point reads for the diagnosis go
// through Get.
//
// The pager decodes each page with a streaming encoding/json token walk,
// handing one item at a time to a callback: one page in memory per call,
// never a list of users. It was chosen over msgraph-sdk-go's PageIterator
// for CPU and allocations (docs/architecture.md; BenchmarkScanRatios in
// this package measures it). msgraph-sdk-go stays in package graph for the
// provisioning writes; the failure mapping, OData quoting and app finder
// both clients use are package graphapi.
//
// It only reads and decides nothing: ranges, scope and rules are the audit
// job's; it must not grow writes (those belong to package graph).
package graphrest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

// Options configures a Client.
type Options struct {
	// BaseURL is the Graph root, e.g. https://graph.microsoft.com (no version).
	BaseURL string
	// Credential gets Graph tokens (managed identity in Azure).
	Credential azcore.TokenCredential
	// Pin returns the pinned Aircall app and Owner the object id that must
	// own it: the app's service principal is found by the pinned appId only
	// and refused when not owned (graphapi.ResolvePinned, the rule both Graph
	// clients share; docs/security.md, "Which app is ours").
	Pin   domain.PinnedAppFunc
	Owner func(ctx context.Context) (string, error)
	// PageSize is $top for users, assignments and members (default and max 999).
	PageSize int
	// OnThrottle, when set, is called for every 429 or 503 answer (before
	// the pipeline retries it) with the Retry-After Graph asked for (0 when
	// none), so callers can lower their concurrency.
	OnThrottle func(status int, retryAfter time.Duration)
	// ClientOptions tunes the transport and retries (tests). Zero retry
	// options get 10 retries, 1 s base delay, 60 s cap.
	ClientOptions policy.ClientOptions
	// TryTimeout bounds each try, the answer's body included, when
	// ClientOptions sets none (default DefaultTryTimeout): a peer that
	// accepts the connection and never answers costs one try (azcore retries
	// a try that timed out), not the whole call.
	TryTimeout time.Duration
}

// Client implements domain.BulkDirectory over Microsoft Graph.
type Client struct {
	o    Options
	pl   runtime.Pipeline
	base string
	top  string

	spMu sync.Mutex
	spID string
}

var _ domain.BulkDirectory = (*Client)(nil)

// DefaultTryTimeout bounds each try of a Graph read (docs/webhooks.md,
// "Deadlines").
const DefaultTryTimeout = 20 * time.Second

// UserSelect is the $select of every user read: the properties the rules
// need. proxyAddresses (the Aircall checks' aliases) is returned only on
// $select (Microsoft Graph, "user resource type", /graph/api/resources/user;
// "List users", /graph/api/user-list).
const UserSelect = "id,userPrincipalName,mail,displayName,accountEnabled,userType,proxyAddresses"

// New builds a Client; it does no I/O.
func New(o Options) (*Client, error) {
	if o.BaseURL == "" || o.Credential == nil {
		return nil, domain.Errorf(domain.EINVALID, "graph: GRAPH_BASE_URL and a credential are required")
	}
	base := strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, domain.Errorf(domain.EINVALID, "graph: GRAPH_BASE_URL %q is not an absolute URL", o.BaseURL)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, domain.FieldError("GRAPH_BASE_URL", "must be an https URL (http only for a loopback host): the Graph token is never sent in clear text, got %q", o.BaseURL)
	}
	if o.PageSize <= 0 || o.PageSize > 999 {
		o.PageSize = 999
	}
	scope := graphapi.Scope(u)
	bearer := runtime.NewBearerTokenPolicy(o.Credential, []string{scope}, &policy.BearerTokenOptions{
		InsecureAllowCredentialWithHTTP: u.Scheme == "http",
	})
	if o.ClientOptions.Retry.MaxRetries == 0 {
		o.ClientOptions.Retry = policy.RetryOptions{
			MaxRetries: 10, RetryDelay: time.Second, MaxRetryDelay: 60 * time.Second,
			StatusCodes: []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
				http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		}
	}
	if o.ClientOptions.Retry.TryTimeout == 0 {
		o.ClientOptions.Retry.TryTimeout = o.TryTimeout
		if o.TryTimeout <= 0 {
			o.ClientOptions.Retry.TryTimeout = DefaultTryTimeout
		}
	}
	perRetry := []policy.Policy{tokenGuard{host: u.Host}, bearer}
	if o.OnThrottle != nil {
		perRetry = append(perRetry, throttleObserver(o.OnThrottle))
	}
	pl := runtime.NewPipeline("aircall-entra-sso", "v1", runtime.PipelineOptions{PerRetry: perRetry}, &o.ClientOptions)
	return &Client{o: o, pl: pl, base: base, top: strconv.Itoa(o.PageSize)}, nil
}

// throttleObserver reports each 429/503 attempt, inside the retry loop.
type throttleObserver func(status int, retryAfter time.Duration)

func (f throttleObserver) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err == nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		f(resp.StatusCode, domain.RetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	}
	return resp, err
}

// maxBodyRetries is how often a page whose body broke off midway (a reset
// after the headers) is asked for again.
const maxBodyRetries = 3

// page GETs link (a path on the base, or an absolute next/delta link on the
// same host) and walks the page as it arrives: onValue is called once per
// element of "value" with the decoder positioned on it, so only the
// decoder's buffer is in memory, never the page. When the body breaks off
// midway, the page is asked for again and the elements already handed to
// onValue are skipped (a page link always answers the same page).
func (c *Client) page(ctx context.Context, link string, hdr http.Header, onValue func(dec *json.Decoder) error) (PageInfo, int64, error) {
	target, err := c.resolve(link)
	if err != nil {
		return PageInfo{}, -1, err
	}
	done := 0 // elements handed to onValue by earlier attempts
	for attempt := 0; ; attempt++ {
		info, count, n, err := c.pageOnce(ctx, target, hdr, done, onValue)
		done += n
		var be bodyError
		if errors.As(err, &be) && attempt < maxBodyRetries && ctx.Err() == nil {
			continue
		}
		return info, count, err
	}
}

// bodyError is a failure to read a page's body (not its JSON).
type bodyError struct{ err error }

func (e bodyError) Error() string { return e.err.Error() }
func (e bodyError) Unwrap() error { return e.err }

// pageOnce is one attempt of page: it skips the first skip elements and
// returns how many it handed to onValue.
func (c *Client) pageOnce(ctx context.Context, target string, hdr http.Header, skip int, onValue func(dec *json.Decoder) error) (PageInfo, int64, int, error) {
	resp, path, err := c.send(ctx, target, hdr, true)
	if err != nil {
		return PageInfo{}, -1, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return PageInfo{}, -1, 0, failed(resp, body, path)
	}
	handed := 0
	info, count, err := walkPage(json.NewDecoder(readErrors{resp.Body}), func(dec *json.Decoder) error {
		if skip > 0 {
			skip--
			return skipValue(dec)
		}
		if err := onValue(dec); err != nil {
			return err
		}
		handed++
		return nil
	})
	if err != nil {
		var ce callbackError
		var be bodyError
		switch {
		case errors.As(err, &ce):
			return info, count, handed, ce.err
		case errors.As(err, &be):
			return info, count, handed, domain.Wrap(domain.EUNAVAILABLE, be, "graph: the answer from %s broke off", path)
		}
		return info, count, handed, domain.Wrap(domain.EUPSTREAM, err, "graph: %s answered with JSON that is not a Graph page", path)
	}
	return info, count, handed, nil
}

// readErrors marks errors of the body stream (other than its end) as
// bodyError, so they can be told from malformed JSON.
type readErrors struct{ r io.Reader }

func (r readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = bodyError{err}
	}
	return n, err
}

// resolve turns a link into an absolute URL on the base.
func (c *Client) resolve(link string) (string, error) {
	if strings.HasPrefix(link, "/") {
		return c.base + link, nil
	}
	if strings.HasPrefix(link, c.base+"/") {
		return link, nil
	}
	// Graph's links name graph.microsoft.com even when reached through
	// another host name of the same cloud; follow only our own base.
	return "", domain.Errorf(domain.EUPSTREAM, "graph: refusing to follow a link off %s", c.base)
}

// readPermissions are the Graph permissions the reads need, for EFORBIDDEN.
const readPermissions = "User.Read.All, GroupMember.Read.All and Application.Read.All (and Policy.Read.All to read the claim configuration)"

// failed maps an error answer to the domain vocabulary with the mapping both
// Graph clients share; a *graphapi.Failure is kept in the chain.
func failed(resp *http.Response, body []byte, path string) error {
	f := graphapi.ParseFailure(resp.StatusCode, resp.Header.Get("Retry-After"), body)
	f.Location = resp.Header.Get("Location")
	return f.Err(nil, "GET "+path, readPermissions)
}

// maxGetBody caps the answer Get reads.
const maxGetBody = 8 << 20

// Get GETs link (a path on the base, or a next link on the same host)
// through the same pipeline as the pages (token, retries honouring
// Retry-After) and decodes the whole JSON answer into out: for the small
// point reads of a diagnosis, not for collections that may be large.
func (c *Client) Get(ctx context.Context, link string, out any) error {
	return c.GetWith(ctx, link, nil, out)
}

// GetWith is Get with extra request headers (e.g. ConsistencyLevel:
// eventual for an advanced query).
func (c *Client) GetWith(ctx context.Context, link string, hdr http.Header, out any) error {
	target, err := c.resolve(link)
	if err != nil {
		return err
	}
	resp, path, err := c.send(ctx, target, hdr, false)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxGetBody))
	if err != nil {
		return domain.Wrap(domain.EUNAVAILABLE, err, "graph: reading the answer from %s", path)
	}
	if resp.StatusCode/100 != 2 {
		return failed(resp, body, path)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return domain.Wrap(domain.EUPSTREAM, err, "graph: %s answered with unexpected JSON", path)
	}
	return nil
}

// send GETs target through the pipeline and returns the answer, whatever
// its status, with the request's path for messages. stream leaves the body
// unread for the caller to decode as it arrives.
func (c *Client) send(ctx context.Context, target string, hdr http.Header, stream bool) (*http.Response, string, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, target)
	if err != nil {
		return nil, "", domain.Wrap(domain.EINTERNAL, err, "graph: build the request")
	}
	if stream {
		runtime.SkipBodyDownload(req)
	}
	req.Raw().Header.Set("Accept", "application/json")
	for k, vs := range hdr {
		req.Raw().Header[k] = vs
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return nil, "", graphapi.Unreachable(err, "GET "+req.Raw().URL.Path)
	}
	return resp, req.Raw().URL.Path, nil
}

// PageInfo is domain.PageInfo (kept short in this package).
type PageInfo = domain.PageInfo
