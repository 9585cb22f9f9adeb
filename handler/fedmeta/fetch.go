package fedmeta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Fetcher downloads an app's federation metadata from the Entra sign-in
// authority. The zero value is not usable: set Authority.
type Fetcher struct {
	// Authority is the sign-in authority, e.g. https://login.microsoftonline.com
	// (LOGIN_AUTHORITY); the local simulator's URL in tests.
	Authority string
	// Client sends the requests; nil means a client with Timeout. Whichever
	// client, redirects follow checkRedirect: at most 3, never to another
	// scheme or host.
	Client *http.Client
	// Timeout bounds each attempt (default 20 s).
	Timeout time.Duration
	// Attempts is how many times to try (default 3); only transport
	// failures, 408, 429 and 5xx are retried.
	Attempts int
	// Backoff is the wait before the second attempt, doubled after each
	// (default 1 s); a Retry-After up to MaxRetryAfter replaces it.
	Backoff time.Duration
	// MaxRetryAfter caps a server's Retry-After (default 30 s).
	MaxRetryAfter time.Duration
	// MaxBytes is the largest body read (default MaxDocumentSize).
	MaxBytes int64
}

// Fetched is a downloaded document.
type Fetched struct {
	Body []byte
	// URL is the URL asked for (it carries no secret).
	URL string
	// ContentType is the answer's Content-Type, for the record.
	ContentType string
}

// DefaultAuthority is the public cloud's sign-in authority (LOGIN_AUTHORITY's default).
const DefaultAuthority = "https://login.microsoftonline.com"

// MetadataURL returns {authority}/{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={appId}:
// the link the portal's "App Federation Metadata Url" shows and Aircall may
// ask for. It is built here only; authority "" means DefaultAuthority.
func MetadataURL(authority string, app domain.AppRef) string {
	if authority == "" {
		authority = DefaultAuthority
	}
	return strings.TrimRight(authority, "/") + "/" + url.PathEscape(app.Tenant) +
		"/federationmetadata/2007-06/federationmetadata.xml?appid=" + url.QueryEscape(app.AppID)
}

// URL returns the document's address at the fetcher's authority (MetadataURL).
func (f *Fetcher) URL(app domain.AppRef) string { return MetadataURL(f.Authority, app) }

// Fetch downloads the document. Errors are EUNAVAILABLE when nothing
// answered (ProblemUnreachable); for an error status (ProblemHTTPStatus) the
// code is domain.FromStatus's, the rule every upstream shares (e.g. 404
// ENOTFOUND, 429/503/504 EUNAVAILABLE, 500/502 EUPSTREAM); a body over the
// limit is EUPSTREAM (ProblemTooLarge). Each names the URL and what to check.
func (f *Fetcher) Fetch(ctx context.Context, app domain.AppRef) (*Fetched, error) {
	if err := app.Validate(); err != nil {
		return nil, err
	}
	if f.Authority == "" {
		return nil, domain.Errorf(domain.EINVALID, "fedmeta: no sign-in authority configured (LOGIN_AUTHORITY)")
	}
	u := f.URL(app)
	attempts := f.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	backoff := f.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	var lastErr error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			wait := backoff << (i - 1)
			if ra := retryAfter(lastErr, f.maxRetryAfter()); ra > 0 {
				wait = ra
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, domain.Wrap(domain.EUNAVAILABLE, ctx.Err(), "fetch federation metadata from %s: cancelled while waiting to retry", u)
			case <-t.C:
			}
		}
		got, err := f.once(ctx, u)
		if err == nil {
			return got, nil
		}
		lastErr = err
		var re *retryable
		if !errors.As(err, &re) || ctx.Err() != nil {
			break
		}
	}
	var re *retryable
	if errors.As(lastErr, &re) {
		return nil, re.err
	}
	return nil, lastErr
}

func (f *Fetcher) maxRetryAfter() time.Duration {
	if f.MaxRetryAfter > 0 {
		return f.MaxRetryAfter
	}
	return 30 * time.Second
}

// retryable marks an error worth another attempt; after marks a Retry-After.
type retryable struct {
	err   error
	after time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

func retryAfter(err error, max time.Duration) time.Duration {
	var re *retryable
	if errors.As(err, &re) && re.after > 0 {
		return min(re.after, max)
	}
	return 0
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		c := *f.Client
		c.CheckRedirect = checkRedirect
		return &c
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
			MaxIdleConns:          2,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: checkRedirect,
	}
}

// redirectError is a redirect checkRedirect refused.
type redirectError struct{ from, to *url.URL }

func (e *redirectError) Error() string {
	return "redirect from " + e.from.Scheme + "://" + e.from.Host + " to " + e.to.Scheme + "://" + e.to.Host
}

// checkRedirect follows at most 3 redirects, and none that changes the
// scheme or the host (port included) of the first request: the document
// must come from LOGIN_AUTHORITY itself, over the scheme it names, so a
// redirect cannot downgrade to http or hand the fetch to another server
// (docs/metadata.md, "Trust").
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if !strings.EqualFold(req.URL.Scheme, first.Scheme) || !strings.EqualFold(req.URL.Host, first.Host) {
		return &redirectError{from: first, to: req.URL}
	}
	if len(via) >= 3 {
		return errors.New("more than 3 redirects")
	}
	return nil
}

func (f *Fetcher) once(ctx context.Context, u string) (*Fetched, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	max := f.MaxBytes
	if max <= 0 {
		max = MaxDocumentSize
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, domain.Wrap(domain.EINVALID, err, "fedmeta: bad metadata URL %q: check LOGIN_AUTHORITY", u)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := f.client().Do(req)
	var redirect *redirectError
	if errors.As(err, &redirect) {
		return nil, refuse(ProblemRedirect, err,
			"%s answered with a %s, which changes the scheme or host: refused, the document must come from LOGIN_AUTHORITY itself", u, redirect)
	}
	if err != nil {
		return nil, &retryable{err: &domain.Error{Code: domain.FromStatus(0),
			Message: fmt.Sprintf("federation metadata unreachable at %s: check LOGIN_AUTHORITY and outbound network access", u),
			Err:     &InvalidError{Problem: ProblemUnreachable, Detail: "no answer", Err: err}}}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		e := &domain.Error{Code: domain.FromStatus(resp.StatusCode),
			Message: fmt.Sprintf("federation metadata: %s answered %d: %s", u, resp.StatusCode, statusHint(resp.StatusCode)),
			Err:     &InvalidError{Problem: ProblemHTTPStatus, Detail: resp.Status}}
		if resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, &retryable{err: e, after: domain.RetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		}
		return nil, e
	}
	if resp.ContentLength > max {
		return nil, refuse(ProblemTooLarge, nil, "%s announces %d bytes, over the %d-byte limit", u, resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, &retryable{err: &domain.Error{Code: domain.EUNAVAILABLE,
			Message: fmt.Sprintf("federation metadata: reading the answer from %s failed: check network access to LOGIN_AUTHORITY", u),
			Err:     &InvalidError{Problem: ProblemUnreachable, Detail: "read failed", Err: err}}}
	}
	if int64(len(body)) > max {
		return nil, refuse(ProblemTooLarge, nil, "%s sent more than %d bytes", u, max)
	}
	return &Fetched{Body: body, URL: u, ContentType: resp.Header.Get("Content-Type")}, nil
}

func statusHint(code int) string {
	switch {
	case code == http.StatusBadRequest || code == http.StatusNotFound:
		return "check ENTRA_TENANT_ID and the app's appId (an unknown appid is refused)"
	case code == http.StatusTooManyRequests || code >= 500:
		return "Entra is throttling or unavailable; the next run retries"
	default:
		return "check LOGIN_AUTHORITY"
	}
}
