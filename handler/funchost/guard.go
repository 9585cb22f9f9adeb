package funchost

import (
	"mime"
	"net"
	"net/http"
	"strings"
)

// refusal is why a request to the handler's port is not the Functions host's.
type refusal struct {
	status int
	reason string
}

// fromHost checks that an invocation request looks like what the Functions
// host's HTTP worker sends and nothing a browser would: the host POSTs the
// envelope to http://127.0.0.1:{port}/{FunctionName} with
// Content-Type application/json (a JsonMediaTypeFormatter), its own
// X-Azure-Functions-* and User-Agent headers, and never an Origin or a
// Sec-Fetch-* header (docs/architecture.md, "What the host sends"). Locally
// `func start` enforces no function keys and any web page can POST to
// 127.0.0.1 — a cross-site form post (text/plain, Origin, Sec-Fetch-*) or
// DNS rebinding (a foreign Host) — so such requests are refused before the
// envelope is read (docs/architecture.md, "The handler's port").
func fromHost(r *http.Request) *refusal {
	if !loopbackHost(r.Host) {
		return &refusal{http.StatusForbidden, "the Host header must name the loopback address the host calls (127.0.0.1), not a public name: refused"}
	}
	if r.Header.Get("Origin") != "" {
		return &refusal{http.StatusForbidden, "a request with an Origin header comes from a browser, not the Functions host: refused"}
	}
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "sec-fetch-") {
			return &refusal{http.StatusForbidden, "a request with Sec-Fetch-* headers comes from a browser, not the Functions host: refused"}
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &refusal{http.StatusUnsupportedMediaType, "the envelope must be sent as Content-Type: application/json, as the Functions host does"}
	}
	return nil
}

// loopbackHost reports whether a Host header names a loopback address
// (127.0.0.0/8, ::1 or localhost), with or without a port.
func loopbackHost(host string) bool {
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
