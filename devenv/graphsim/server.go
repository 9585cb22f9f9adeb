package graphsim

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Options configure a Server. The zero value serves an empty tenant.
type Options struct {
	// Tenant is the tenant to serve; nil generates one from Seed, Users
	// and Mix.
	Tenant *Tenant
	Seed   int64
	Users  int
	Mix    Mix
	// Addr is the plain-http listen address (default 127.0.0.1:0).
	Addr string
	// TLSAddr is the https listen address (default 127.0.0.1:0).
	TLSAddr string
	// Logger receives one line per refused or failed request (default:
	// discard). Tokens are never logged.
	Logger *slog.Logger
	// Cloud makes the tenant one of that cloud (domain.Cloud names, see
	// Tenant.SetCloud); empty accepts every cloud's template.
	Cloud string
}

// Server serves one Tenant over plain http (loopback) and self-signed
// https: Graph under /v1.0 and /beta, the managed-identity token endpoint
// under /msi/token, and the login authority's federation metadata under
// /{tenant}/federationmetadata/2007-06/federationmetadata.xml.
type Server struct {
	t       *Tenant
	o       Options
	plain   *httptest.Server
	tls     *httptest.Server
	log     *slog.Logger
	secret  string // X-IDENTITY-HEADER value
	handler http.Handler
	routes  *router
}

// New returns a server for o; call Start.
func New(o Options) *Server {
	t := o.Tenant
	if t == nil {
		t = GenerateTenant(o.Seed, o.Users, o.Mix)
	}
	if o.Cloud != "" {
		t.SetCloud(o.Cloud)
	}
	s := &Server{t: t, o: o, log: o.Logger, secret: uuid.NewString(), routes: newRouter(routeTable())}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.handler = http.HandlerFunc(s.serve)
	return s
}

// Start starts both listeners.
func (s *Server) Start() error {
	listen := func(addr string) (net.Listener, error) {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		return net.Listen("tcp", addr)
	}
	ln, err := listen(s.o.Addr)
	if err != nil {
		return fmt.Errorf("graphsim: listen on %s: %w", s.o.Addr, err)
	}
	tln, err := listen(s.o.TLSAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("graphsim: listen on %s: %w", s.o.TLSAddr, err)
	}
	s.plain = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}}
	s.plain.Start()
	s.tls = &httptest.Server{Listener: tln, Config: &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}}
	s.tls.StartTLS()
	return nil
}

// Close stops the listeners and closes client connections.
func (s *Server) Close() {
	if s.plain != nil {
		s.plain.CloseClientConnections()
		s.plain.Close()
	}
	if s.tls != nil {
		s.tls.CloseClientConnections()
		s.tls.Close()
	}
}

// URL is the plain-http base, e.g. http://127.0.0.1:PORT (no version).
func (s *Server) URL() string { return s.plain.URL }

// TLSURL is the https base with a self-signed certificate.
func (s *Server) TLSURL() string { return s.tls.URL }

// TLSClient is an http.Client that trusts TLSURL's certificate.
func (s *Server) TLSClient() *http.Client { return s.tls.Client() }

// CertPool holds TLSURL's certificate.
func (s *Server) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.tls.Certificate())
	return p
}

// TenantID is the served tenant's id.
func (s *Server) TenantID() string { return s.t.id }

// Tenant is the served tenant, to seed, inspect and change from tests.
func (s *Server) Tenant() *Tenant { return s.t }

// Handler is the server's http.Handler (for embedding in another server).
func (s *Server) Handler() http.Handler { return s.handler }

// IdentityEndpoint and IdentityHeader are the values for azidentity's App
// Service managed identity (env IDENTITY_ENDPOINT and IDENTITY_HEADER).
func (s *Server) IdentityEndpoint() string { return s.URL() + "/msi/token" }

// IdentityHeader is the secret the token endpoint expects in
// X-IDENTITY-HEADER.
func (s *Server) IdentityHeader() string { return s.secret }

// MetadataURL is the federation metadata URL of the app with appID on the
// plain-http authority.
func (s *Server) MetadataURL(appID string) string {
	return s.URL() + "/" + s.t.id + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + appID
}

// base is the scheme://host the request came in on (for links).
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serve is the top-level handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("request-id", uuid.NewString())
	if c := r.Header.Get("client-request-id"); c != "" {
		w.Header().Set("client-request-id", c)
	}
	p := r.URL.Path
	rt, params := s.routes.match(r.Method, p)
	switch {
	case rt != nil && rt.serve != nil:
		s.t.countRequest(r.Method + " " + rt.pattern)
		rt.serve(s, w, r, params)
		return
	case p == "/" || p == "/healthz":
		w.WriteHeader(http.StatusOK)
		return
	case strings.HasPrefix(p, "/v1.0/") || strings.HasPrefix(p, "/beta/"):
	default:
		writeError(w, r, errf(404, "BadRequest", "Invalid version: %s", strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]))
		return
	}
	version, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if rt == nil {
		rt = &route{method: r.Method, pattern: "/" + version + "/" + rest}
	}
	s.t.countRequest(rt.name())
	if !s.delay(r.Context()) {
		return
	}
	if s.refuse(w, r, rt) {
		return
	}
	if rt.handle == nil {
		writeError(w, r, errf(400, "BadRequest", "Resource not found for the segment '%s'.", lastSegment(rest)))
		return
	}
	if e := checkQueryRules(r, rt); e != nil {
		writeError(w, r, e)
		return
	}
	c := &call{s: s, t: s.t, w: w, r: r, base: base(r), version: version}
	if status := s.t.takeAfter(r); status != 0 {
		// Carried out, then answered with the fault (owners.go, FailAfter).
		c.w = &discardWriter{h: http.Header{}}
		_ = rt.handle(c, params)
		writeError(w, r, errf(status, "UnknownError", "The gateway did not receive a response in time."))
		return
	}
	if e := rt.handle(c, params); e != nil {
		if e.status >= 500 || e.status == 429 {
			s.log.Warn("graphsim: failed request", "route", rt.name(), "status", e.status)
		}
		writeError(w, r, e)
	}
}

// refuse answers an injected fault, a missing or bad token, or the
// throttling of a request over its resource-unit budget; false lets the
// request through (with x-ms-resource-unit set).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, rt *route) bool {
	if status, reset, ra := s.t.fault(r); reset {
		hijackClose(w)
		return true
	} else if status != 0 {
		e := errf(status, "serviceNotAvailable", "Service unavailable; retry later.")
		if status == http.StatusTooManyRequests {
			e = errf(status, "TooManyRequests", "Please retry again later.")
		}
		e.header = map[string]string{"Retry-After": strconv.Itoa(ra)}
		if status == http.StatusTooManyRequests {
			e.header["x-ms-throttle-scope"] = "Tenant_Application/" + rt.kind() + "/" + simAppID + "/" + s.t.id
			e.header["x-ms-throttle-information"] = "ResourceUnitLimitExceeded"
		}
		writeError(w, r, e)
		return true
	}
	if e := s.authorize(r); e != nil {
		s.t.countUnauthorized()
		writeError(w, r, e)
		return true
	}
	ok, ra, exceeded, used := s.t.charge(rt.cost(r), rt.write(), time.Now())
	if !ok {
		e := errf(429, "TooManyRequests", "Please retry again later.")
		e.header = map[string]string{
			"Retry-After":                    strconv.Itoa(ra),
			"x-ms-throttle-scope":            "Tenant_Application/" + rt.kind() + "/" + simAppID + "/" + s.t.id,
			"x-ms-throttle-information":      exceeded,
			"x-ms-resource-unit":             strconv.Itoa(rt.cost(r)),
			"x-ms-throttle-limit-percentage": "1.0",
		}
		writeError(w, r, e)
		return true
	}
	w.Header().Set("x-ms-resource-unit", strconv.Itoa(rt.cost(r)))
	if used >= 0.8 {
		w.Header().Set("x-ms-throttle-limit-percentage", strconv.FormatFloat(used, 'f', 1, 64))
	}
	return false
}

// delay sleeps the configured latency; false when the client went away.
func (s *Server) delay(ctx context.Context) bool {
	d := s.t.currentLatency()
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// hijackClose cuts the connection with a TCP reset after the status line
// and the start of a JSON body, as a connection dropped mid-answer. (A
// close before any byte would be retried silently by Go's transport on a
// reused connection, so clients would never see the fault.)
func hijackClose(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{\"value\":[")
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST, not FIN
	} else if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if t, ok := tc.NetConn().(*net.TCPConn); ok {
			_ = t.SetLinger(0)
		}
	}
	conn.Close()
}

func lastSegment(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// call is one Graph request being handled.
type call struct {
	s       *Server
	t       *Tenant
	w       http.ResponseWriter
	r       *http.Request
	base    string
	version string
}

func (c *call) ctx(suffix string) string { return contextURL(c.base, c.version, suffix) }
