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
}

func (f *Failure) Error() string { return fmt.Sprintf("HTTP %d %s", f.Status, f.Code) }

// ParseFailure reads Graph's error body ({"error":{"code":…,"message":…}})
// of an answer with status and the given Retry-After header; a body that is
// not Graph's error leaves Code and Message empty.
func ParseFailure(status int, retryAfter string, body []byte) *Failure {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.NewDecoder(bytes.NewReader(body)).Decode(&e)
	return &Failure{Status: status, Code: e.Error.Code, Message: e.Error.Message,
		RetryAfter: domain.RetryAfter(retryAfter, time.Now())}
}

// Err maps f to the domain vocabulary: the code is domain.FromStatus's,
// except that a delta link Graph no longer honours (410 Gone,
// syncStateNotFound, resyncRequired) is EUPSTREAM caused by
// domain.ErrDeltaExpired. doing says what was attempted ("read application
// 123", "GET /v1.0/users"); permission names the Graph permission the call
// needs, for EFORBIDDEN. cause, when not nil, is kept in the chain; else f is.
func (f *Failure) Err(cause error, doing, permission string) error {
	if cause == nil {
		cause = f
	}
	said := fmt.Sprintf("Graph answered %d %s: %s", f.Status, f.Code, f.Message)
	code := strings.ToLower(f.Code)
	if f.Status == http.StatusGone || code == "syncstatenotfound" || code == "resyncrequired" {
		return domain.Wrap(domain.EUPSTREAM, domain.ErrDeltaExpired, "graph: %s: %s", doing, said)
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
