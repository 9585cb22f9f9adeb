// Package aircall is the adapter for Aircall's Public API behind
// domain.AircallDirectory: it lists the users of one Aircall company (all of
// them, past the API's 10,000-records-per-query cap, by splitting the query
// on created_at) and looks one up by email. It runs on the azcore pipeline
// like the lean Graph pager: HTTP Basic auth with the API ID and token, a
// client-side leaky bucket at the documented rate, retries on 429 (waiting
// until X-AircallApi-Reset), 5xx and connection resets, a per-try timeout,
// and one page in memory at a time. docs/aircall.md cites the Aircall pages
// every behaviour here follows.
//
// It must not log, return or send the credentials anywhere but in the
// Authorization header of requests to the configured base URL (links
// Aircall returns are followed only on that host, redirects never), and it
// only reads: it never changes an Aircall user.
package aircall

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// DefaultBaseURL is Aircall's Public API host (paths carry the version).
const DefaultBaseURL = "https://api.aircall.io"

// Aircall's documented limits (docs/aircall.md).
const (
	// MaxPerPage is the largest per_page the API serves.
	MaxPerPage = 50
	// RecordCap is the most records one list query reaches by paging.
	RecordCap = 10000
	// DefaultRateLimit requests per DefaultRateWindow is the client's pace:
	// half of the documented 120 per minute per company, which every
	// integration of the company shares.
	DefaultRateLimit  = 60
	DefaultRateWindow = time.Minute
)

// Setting names, for messages.
const (
	SettingAPIID    = "AIRCALL_API_ID"
	SettingAPIToken = "AIRCALL_API_TOKEN"
	SettingBaseURL  = "AIRCALL_API_BASE_URL"
)

// Options configures a Client.
type Options struct {
	// BaseURL is the API host (default DefaultBaseURL). Only https is
	// accepted, except http to a loopback host (the simulator).
	BaseURL string
	// APIID and APIToken are the Basic auth credentials (Company settings →
	// Integrations & API → API Keys). Both are secrets here: never logged.
	APIID, APIToken string
	// RateLimit requests per RateWindow is the pace of the client's leaky
	// bucket (defaults DefaultRateLimit per DefaultRateWindow). An
	// X-AircallApi-Limit header lower than RateLimit lowers it.
	RateLimit  int
	RateWindow time.Duration
	// Transport carries the requests (default http.DefaultTransport).
	// Redirects are never followed.
	Transport http.RoundTripper
	// Now and Sleep are the clock of the rate limiter (default the real
	// one), injectable for tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Retry tunes retries; zero gets 6 retries from 1 s, at most 90 s
	// apart, 60 s per try, on 408, 429, 500, 502, 503 and 504.
	Retry policy.RetryOptions
	// Logging tunes azcore's request log (the Authorization header is
	// always redacted by azcore).
	Logging policy.LogOptions
}

// Client implements domain.AircallDirectory over Aircall's Public API.
type Client struct {
	o       Options
	pl      runtime.Pipeline
	base    *url.URL
	secrets []string // values scrubbed from every message
	lim     *limiter
}

var _ domain.AircallDirectory = (*Client)(nil)

// New builds a Client; it does no I/O.
func New(o Options) (*Client, error) {
	if o.APIID == "" || o.APIToken == "" {
		return nil, &domain.Error{Code: domain.EINVALID, Field: SettingAPIID + "/" + SettingAPIToken,
			Message: "both are required for the Aircall checks (Aircall Company settings → Integrations & API → API Keys)"}
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || base.Host == "" || base.User != nil || base.RawQuery != "" || !(base.Scheme == "https" || base.Scheme == "http" && isLoopback(base.Hostname())) {
		return nil, domain.FieldError(SettingBaseURL, "%q is not an https URL (http is accepted for loopback hosts only)", o.BaseURL)
	}
	if o.RateLimit <= 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.RateWindow <= 0 {
		o.RateWindow = DefaultRateWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Retry.MaxRetries == 0 {
		o.Retry = policy.RetryOptions{MaxRetries: 6, RetryDelay: time.Second, MaxRetryDelay: 90 * time.Second, TryTimeout: time.Minute}
	}
	if len(o.Retry.StatusCodes) == 0 {
		o.Retry.StatusCodes = []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	}
	o.Logging.AllowedHeaders = append(o.Logging.AllowedHeaders, "X-AircallApi-Limit", "X-AircallApi-Remaining", "X-AircallApi-Reset")
	o.Logging.AllowedQueryParams = append(o.Logging.AllowedQueryParams, "page", "per_page", "from", "to", "order")
	rt := o.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(o.APIID+":"+o.APIToken))
	c := &Client{o: o, base: base, lim: newLimiter(o.RateLimit, o.RateWindow, o.Now, o.Sleep),
		secrets: []string{basic[len("Basic "):], o.APIToken, o.APIID}}
	copts := policy.ClientOptions{
		Retry:     o.Retry,
		Logging:   o.Logging,
		Transport: &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	perRetry := []policy.Policy{c.lim, basicAuth{header: basic, base: base}, rateReader{lim: c.lim, now: o.Now}}
	c.pl = runtime.NewPipeline("aircall-entra-sso", "v1", runtime.PipelineOptions{PerRetry: perRetry}, &copts)
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// basicAuth sets the Authorization header, and only on requests to the
// configured scheme and host: a request anywhere else fails unsent.
type basicAuth struct {
	header string
	base   *url.URL
}

func (p basicAuth) Do(req *policy.Request) (*http.Response, error) {
	u := req.Raw().URL
	if !sameHost(u, p.base) {
		return nil, errOffHost
	}
	req.Raw().Header.Set("Authorization", p.header)
	return req.Next()
}

var errOffHost = nonRetriable{errors.New("aircall: refusing to send the credentials to a host other than the configured base URL")}

// nonRetriable marks an error the retry policy must not retry
// (errorinfo.NonRetriable).
type nonRetriable struct{ error }

func (nonRetriable) NonRetriable() {}

func sameHost(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host) && u.User == nil
}

// rateReader reads the X-AircallApi-* headers: a limit lower than the
// client's pace lowers it, and a 429 holds every request until the reset
// and tells the retry policy how long to wait (Retry-After-Ms, which azcore
// honours) when Aircall sent no Retry-After.
type rateReader struct {
	lim *limiter
	now func() time.Time
}

func (p rateReader) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err != nil {
		return resp, err
	}
	p.lim.observeLimit(resp.Header.Get("X-AircallApi-Limit"))
	if resp.StatusCode == http.StatusTooManyRequests {
		if until, ok := parseReset(resp.Header.Get("X-AircallApi-Reset")); ok {
			p.lim.holdUntil(until)
			if resp.Header.Get("Retry-After") == "" && resp.Header.Get("Retry-After-Ms") == "" {
				wait := max(until.Sub(p.now()), 50*time.Millisecond)
				resp.Header.Set("Retry-After-Ms", formatMillis(wait))
			}
		}
	}
	return resp, nil
}
