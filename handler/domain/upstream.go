package domain

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FromStatus is the one rule that turns an upstream's HTTP status (Microsoft
// Graph, Blob Storage, the federation metadata endpoint) into the error
// vocabulary. Adapters choose their messages; the code comes from here.
//
//   - 0 (nothing answered: connection refused or reset, DNS, timeout,
//     cancellation), 408, 429, 503 and 504 are EUNAVAILABLE: temporary,
//     worth retrying later;
//   - 401 and 403 are EFORBIDDEN: this app's own identity is refused or
//     lacks a permission or role upstream, which only the operator can fix.
//     EUNAUTHORIZED stays reserved for our caller's credentials, so an
//     upstream refusal never reads as "your credentials are wrong";
//   - 404 is ENOTFOUND; 409 and 412 are ECONFLICT (another writer won, or a
//     precondition such as an ETag failed);
//   - any other status that is not 2xx, including 500 and 502, is
//     EUPSTREAM: the upstream failed or refused in a way a retry later will
//     not change by itself;
//   - 2xx is "" (not a failure).
func FromStatus(status int) Code {
	switch {
	case status == 0, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests,
		status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return EUNAVAILABLE
	case status/100 == 2:
		return ""
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return EFORBIDDEN
	case status == http.StatusNotFound:
		return ENOTFOUND
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return ECONFLICT
	default:
		return EUPSTREAM
	}
}

// RetryAfter reads a Retry-After header value as a delay from now: a number
// of seconds (RFC 9110; Graph sometimes sends a decimal one) or an HTTP
// date. It is 0 when v is empty, malformed, negative or in the past.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return 0
		}
		return time.Duration(min(s, 1e9) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
