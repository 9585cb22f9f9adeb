// Package graphapi is what the project's two Microsoft Graph clients share
// about Graph's HTTP API, written once: how a failed call maps to the domain
// error vocabulary (Failure, Unreachable), how a string becomes an OData
// literal (String), and the rule that finds the Aircall app in a tenant
// (FindApp). The clients are package graph (msgraph-sdk-go, for the
// provisioning writes) and package graphrest (the lean REST client for bulk
// and point reads); see docs/architecture.md for why there are two.
//
// It is pure: no HTTP client, no SDK, no I/O of its own (FindApp runs the
// queries its caller gives it). It must not grow per-client behaviour:
// anything that differs between the clients stays in the client.
package graphapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// String quotes s as an OData string literal ('…' with ' doubled).
func String(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Failure is Graph's answer to a failed call. It is kept in the chain of the
// domain error (errors.As) for callers that must tell one refusal from
// another, e.g. a 400 on $expand.
type Failure struct {
	// Status is the HTTP status.
	Status int
	// Code and Message are Graph's error.code and error.message.
	Code, Message string
	// RetryAfter is the delay Graph asked for (0 when none).
	RetryAfter time.Duration
	// Inner are the codes of the nested innerError objects, outermost
	// first: Graph's errors page (learn.microsoft.com/graph/errors, "Code
	// property") tells apps to walk them, the innermost being the most
	// specific.
	Inner []string
	// Location is the Location header of the answer (a 410 Gone of a delta
	// query carries the URL that restarts the round).
	Location string
}

func (f *Failure) Error() string { return fmt.Sprintf("HTTP %d %s", f.Status, f.Code) }

// maxInnerErrors bounds the innerError chain that is walked (the body is
// outside input).
const maxInnerErrors = 8

// innerError is one level of Graph's nested error detail.
type innerError struct {
	Code  string      `json:"code"`
	Inner *innerError `json:"innerError"`
	// Some services spell it innererror (learn.microsoft.com/graph/errors
	// shows both spellings across its examples).
	InnerLower *innerError `json:"innererror"`
}

// ParseFailure reads Graph's error body ({"error":{"code":…,"message":…,
// "innerError":{"code":…,"innerError":{…}}}}) of an answer with status and
// the given Retry-After header; a body that is not Graph's error leaves
// Code and Message empty.
func ParseFailure(status int, retryAfter string, body []byte) *Failure {
	var e struct {
		Error struct {
			Code       string      `json:"code"`
			Message    string      `json:"message"`
			Inner      *innerError `json:"innerError"`
			InnerLower *innerError `json:"innererror"`
		} `json:"error"`
	}
	_ = json.NewDecoder(bytes.NewReader(body)).Decode(&e)
	f := &Failure{Status: status, Code: e.Error.Code, Message: e.Error.Message,
		RetryAfter: domain.RetryAfter(retryAfter, time.Now())}
	in := e.Error.Inner
	if in == nil {
		in = e.Error.InnerLower
	}
	for i := 0; in != nil && i < maxInnerErrors; i++ {
		if in.Code != "" {
			f.Inner = append(f.Inner, in.Code)
		}
		next := in.Inner
		if next == nil {
			next = in.InnerLower
		}
		in = next
	}
	return f
}

// deltaExpiredCodes are the error codes that say a delta token can no
// longer be used and the app must synchronize again (learn.microsoft.com/
// graph/errors, "Code property": syncStateNotFound, resyncRequired;
// learn.microsoft.com/graph/delta-query-overview, "Token duration": "a
// 40X-series error with error codes such as syncStateNotFound").
var deltaExpiredCodes = []string{"syncstatenotfound", "resyncrequired"}

// DeltaExpired says whether f tells a delta client to start over: a 410
// Gone (the delta query overview's "Synchronization reset", with a Location
// that restarts the round), or any 4xx whose code or nested innerError
// code is one of deltaExpiredCodes ("Token duration").
func (f *Failure) DeltaExpired() bool {
	if f.Status == http.StatusGone {
		return true
	}
	if f.Status < 400 || f.Status > 499 {
		return false
	}
	for _, c := range append([]string{f.Code}, f.Inner...) {
		if slices.Contains(deltaExpiredCodes, strings.ToLower(c)) {
			return true
		}
	}
	return false
}

// Err maps f to the domain vocabulary: the code is domain.FromStatus's,
// except that a delta link Graph no longer honours (DeltaExpired) is
// EUPSTREAM caused by domain.ErrDeltaExpired. doing says what was attempted ("read application
// 123", "GET /v1.0/users"); permission names the Graph permission the call
// needs, for EFORBIDDEN. cause, when not nil, is kept in the chain; else f is.
func (f *Failure) Err(cause error, doing, permission string) error {
	if cause == nil {
		cause = f
	}
	said := fmt.Sprintf("Graph answered %d %s: %s", f.Status, f.Code, f.Message)
	if len(f.Inner) > 0 {
		said += " (inner " + strings.Join(f.Inner, " > ") + ")"
	}
	if f.DeltaExpired() {
		what := "the delta token expired"
		if f.Status == http.StatusGone {
			what = "Graph asked for a synchronization reset"
		}
		return domain.Wrap(domain.EUPSTREAM, domain.ErrDeltaExpired, "graph: %s: %s: %s", doing, what, said)
	}
	switch c := domain.FromStatus(f.Status); {
	case f.Status == http.StatusUnauthorized:
		return domain.Wrap(c, cause, "graph: %s: %s. The identity's token was refused: check ENTRA_TENANT_ID and the managed identity", doing, said)
	case c == domain.EFORBIDDEN:
		return domain.Wrap(c, cause, "graph: %s: %s. Grant the app's managed identity the Microsoft Graph application permission %s (with admin consent)", doing, said, permission)
	case f.Status == http.StatusTooManyRequests:
		wait := ""
		if f.RetryAfter > 0 {
			wait = " (Retry-After " + f.RetryAfter.String() + ")"
		}
		return domain.Wrap(c, cause, "graph: %s: Microsoft Graph is throttling this app%s and retries did not get through; try again in a few minutes", doing, wait)
	case c == domain.EUNAVAILABLE:
		return domain.Wrap(c, cause, "graph: %s: Microsoft Graph is unavailable (%d) after retries; try again later", doing, f.Status)
	default:
		return domain.Wrap(c, cause, "graph: %s: %s", doing, said)
	}
}

// Unreachable maps an error of a call that got no answer from Graph
// (connection refused or reset, DNS, timeout, cancellation) to the domain
// vocabulary: domain.FromStatus(0), i.e. EUNAVAILABLE.
func Unreachable(err error, doing string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return domain.Wrap(domain.FromStatus(0), err, "graph: %s: cancelled or timed out", doing)
	}
	return domain.Wrap(domain.FromStatus(0), err, "graph: %s: Microsoft Graph is unreachable (%s); try again later", doing, err.Error())
}
