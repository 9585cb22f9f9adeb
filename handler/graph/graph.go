// Package graph is the Microsoft Graph adapter for provisioning: it
// implements domain.AppDirectory with msgraph-sdk-go for the handful of
// configuration calls (instantiate the non-gallery template, patch the
// application and service principal, signing certificates, claims mapping
// policies, app role assignments) and maps Graph's answers to the domain
// error vocabulary.
//
// It imports msgraph-sdk-go sub-packages only, never the root package (build
// cost; see docs/architecture.md). It decides nothing: the order of changes
// and what to change belong to package provision. Reads in bulk and the
// diagnosis's point reads are not here: they go through package graphrest,
// the lean REST client. What both clients share (the Graph failure →
// domain error mapping, OData literals, the app finder) is package graphapi;
// the claim rule is package claimsdoc.
package graph

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

// Options configures a Client. Zero values are production defaults.
type Options struct {
	// BaseURL is the Graph root without version: https://graph.microsoft.com,
	// a sovereign cloud's (https://graph.microsoft.us,
	// https://microsoftgraph.chinacloudapi.cn) or the local simulator's
	// http://127.0.0.1:PORT.
	BaseURL string
	// Credential gets Graph tokens (managed identity in Azure).
	Credential azcore.TokenCredential
	// AllowedHosts are the hosts the token may be sent to; default BaseURL's
	// host. A request to any other host goes out WITHOUT a token.
	AllowedHosts []string
	// TemplateID is the non-gallery application template (the cloud's,
	// domain.Cloud.TemplateID); default domain.NonGalleryTemplateID (the
	// global cloud's; US Gov and China use
	// other ids).
	TemplateID string
	// Replication bounds the wait for a new app to become readable.
	Replication Backoff
	// MaxRetries is how often the SDK retries a 429/503/504 (honouring
	// Retry-After); default 3, at most 10.
	MaxRetries int
	// RetryDelaySeconds is the first retry's delay when Graph sends no
	// Retry-After (default 3, at least 1), growing exponentially.
	RetryDelaySeconds int
	// Transport is the parent transport under the SDK's middleware
	// (tests: a TLS server's); default http.DefaultTransport's clone.
	Transport http.RoundTripper
	// TryTimeout bounds each try of a read (default DefaultTryTimeout); a
	// GET whose try ran out of time is tried again (trytimeout.go). Writes
	// are bounded by the client's overall timeout.
	TryTimeout time.Duration
	// Log receives one line per decision; never a token.
	Log *slog.Logger
}

// Backoff is a bounded exponential backoff.
type Backoff struct {
	// Initial is the first delay (default 2 s), doubled up to Max (default
	// 10 s); the wait gives up after Timeout (default 2 min).
	Initial, Max, Timeout time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 2 * time.Second
	}
	if b.Max <= 0 {
		b.Max = 10 * time.Second
	}
	if b.Timeout <= 0 {
		b.Timeout = 2 * time.Minute
	}
	return b
}

// Client implements domain.AppDirectory over Microsoft Graph v1.0.
type Client struct {
	o       Options
	adapter *core.GraphRequestAdapterBase
	// root is the Graph root (no version); base is root + "/v1.0".
	root, base string
	log        *slog.Logger
}

var _ domain.AppDirectory = (*Client)(nil)

var registerSerializers sync.Once

// New builds a Client. It does no I/O.
func New(o Options) (*Client, error) {
	if o.Credential == nil {
		return nil, domain.Errorf(domain.EINVALID, "graph: a credential is required")
	}
	root := strings.TrimRight(strings.TrimSpace(o.BaseURL), "/")
	root = strings.TrimSuffix(root, "/v1.0")
	u, err := url.Parse(root)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return nil, domain.FieldError("GRAPH_BASE_URL", "must be an absolute https URL (http only for 127.0.0.1/localhost), got %q", o.BaseURL)
	}
	hosts := o.AllowedHosts
	if len(hosts) == 0 {
		hosts = []string{u.Hostname()}
	}
	scope := graphapi.Scope(u)
	auth, err := authentication.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(o.Credential, []string{scope}, hosts)
	if err != nil {
		return nil, domain.Wrap(domain.EINVALID, err, "graph: authentication provider")
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 3
	}
	if o.MaxRetries > 10 {
		o.MaxRetries = 10
	}
	o.Replication = o.Replication.withDefaults()
	if o.TemplateID == "" {
		o.TemplateID = domain.NonGalleryTemplateID
	}
	registerSerializers.Do(func() {
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return textser.NewTextSerializationWriterFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return textser.NewTextParseNodeFactory() })
	})
	clientOpts := core.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	// The middleware in a FIXED order. khttp.GetDefaultMiddlewares builds its
	// list from a map, so its order changes from one client to the next; when
	// the retry handler lands outside the compression handler, a retried
	// PATCH/POST goes out with its uncompressed body under
	// "Content-Encoding: gzip" (measured: 1 client in 2). Compressing outside
	// the retry handler makes each retry resend the same (rewound) gzip body.
	mw := []khttp.Middleware{
		core.NewGraphTelemetryHandler(&clientOpts),
		khttp.NewCompressionHandler(),
		khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{
			MaxRetries: o.MaxRetries, DelaySeconds: o.RetryDelaySeconds,
			ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return true },
		}),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
		bodyPerAttempt{},
	}
	parent := o.Transport
	if parent == nil {
		parent = http.DefaultTransport.(*http.Transport).Clone()
	}
	if o.TryTimeout <= 0 {
		o.TryTimeout = DefaultTryTimeout
	}
	parent = tryTimeout{next: parent, timeout: o.TryTimeout, retries: 2}
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(parent, mw...), Timeout: 100 * time.Second}
	adapter, err := core.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, clientOpts, nil, nil, hc)
	if err != nil {
		return nil, domain.Wrap(domain.EINTERNAL, err, "graph: request adapter")
	}
	adapter.SetBaseUrl(root + "/v1.0")
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Client{o: o, adapter: adapter, root: root, base: root + "/v1.0", log: log}, nil
}

func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

// params are the path parameters every request builder starts from.
func (c *Client) params() map[string]string { return map[string]string{"baseurl": c.base} }

// errorMapping maps every error status to Graph's OData error.
var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// failure extracts Graph's answer from an SDK error; ok is false when err
// is not an answer from Graph (network, context, decoding).
func failure(err error) (*graphapi.Failure, bool) {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		f := &graphapi.Failure{Status: oe.GetStatusCode()}
		if m := oe.GetErrorEscaped(); m != nil {
			f.Code, f.Message = deref(m.GetCode()), deref(m.GetMessage())
		}
		if h := oe.GetResponseHeaders(); h != nil {
			for _, v := range h.Get("Retry-After") {
				f.RetryAfter = domain.RetryAfter(v, time.Now())
			}
		}
		return f, true
	}
	var ae *abs.ApiError
	if errors.As(err, &ae) {
		return &graphapi.Failure{Status: ae.GetStatusCode(), Message: ae.Message}, true
	}
	return nil, false
}

// mapError turns an SDK error into the domain vocabulary with the mapping
// both Graph clients share (graphapi). doing says what was attempted
// ("patch the service principal"); permission is the Graph permission the
// call needs.
func mapError(err error, doing, permission string) error {
	if err == nil {
		return nil
	}
	if f, ok := failure(err); ok {
		return f.Err(err, doing, permission)
	}
	var ne net.Error
	var ue *url.Error
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) || errors.As(err, &ue) {
		return graphapi.Unreachable(err, doing)
	}
	return domain.Wrap(domain.EUPSTREAM, err, "graph: %s failed: %s", doing, err.Error())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }

// waitFor calls try until it stops answering ENOTFOUND (replication) or the
// backoff's timeout passes.
func (c *Client) waitFor(ctx context.Context, what string, try func() error) error {
	b := c.o.Replication
	deadline := time.Now().Add(b.Timeout)
	delay := b.Initial
	for attempt := 1; ; attempt++ {
		err := try()
		if !domain.IsCode(err, domain.ENOTFOUND) {
			return err
		}
		if time.Now().Add(delay).After(deadline) {
			return domain.Wrap(domain.EUNAVAILABLE, err, "graph: %s is still not readable after %s (directory replication); run provision again in a minute: it continues from here", what, b.Timeout)
		}
		c.log.Debug("waiting for replication", "object", what, "attempt", attempt, "delay", delay.String())
		select {
		case <-ctx.Done():
			return domain.Wrap(domain.EUNAVAILABLE, ctx.Err(), "graph: cancelled while waiting for %s to replicate", what)
		case <-time.After(delay):
		}
		if delay *= 2; delay > b.Max {
			delay = b.Max
		}
	}
}
