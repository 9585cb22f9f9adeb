package domain_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// TestFromStatus is the upstream classifier's whole rule, one row per
// status class. 500 and 502 were EUPSTREAM in one adapter and EUNAVAILABLE
// in another before the rule was written once.
func TestFromStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   domain.Code
	}{
		{0, domain.EUNAVAILABLE}, // nothing answered
		{200, ""}, {201, ""}, {204, ""},
		{301, domain.EUPSTREAM},
		{400, domain.EUPSTREAM},
		{401, domain.EFORBIDDEN},
		{403, domain.EFORBIDDEN},
		{404, domain.ENOTFOUND},
		{405, domain.EUPSTREAM},
		{408, domain.EUNAVAILABLE},
		{409, domain.ECONFLICT},
		{410, domain.EUPSTREAM},
		{412, domain.ECONFLICT},
		{413, domain.EUPSTREAM},
		{422, domain.EUPSTREAM},
		{429, domain.EUNAVAILABLE},
		{500, domain.EUPSTREAM},
		{501, domain.EUPSTREAM},
		{502, domain.EUPSTREAM},
		{503, domain.EUNAVAILABLE},
		{504, domain.EUNAVAILABLE},
		{507, domain.EUPSTREAM},
	} {
		if got := domain.FromStatus(tc.status); got != tc.want {
			t.Errorf("FromStatus(%d) = %q, want %q", tc.status, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 2 ", 2 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"0", 0},
		{"-3", 0},
		{"NaN", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := domain.RetryAfter(tc.v, now); got != tc.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
