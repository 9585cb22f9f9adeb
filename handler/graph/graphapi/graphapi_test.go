package graphapi_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

func TestString(t *testing.T) {
	if got := graphapi.String("O'Brien"); got != "'O''Brien'" {
		t.Errorf("got %s", got)
	}
}

// TestFailureErr: both Graph clients map failures through Failure.Err; the
// code is domain.FromStatus's, the message names what was attempted and,
// for a refusal, the permission to grant.
func TestFailureErr(t *testing.T) {
	for _, tc := range []struct {
		f    graphapi.Failure
		code domain.Code
		says string
	}{
		{graphapi.Failure{Status: 403, Code: "Authorization_RequestDenied"}, domain.EFORBIDDEN, "permission Application.Read.All"},
		{graphapi.Failure{Status: 401, Code: "InvalidAuthenticationToken"}, domain.EFORBIDDEN, "token was refused"},
		{graphapi.Failure{Status: 404, Code: "Request_ResourceNotFound"}, domain.ENOTFOUND, "answered 404"},
		{graphapi.Failure{Status: 409}, domain.ECONFLICT, "answered 409"},
		{graphapi.Failure{Status: 429, RetryAfter: 5 * time.Second}, domain.EUNAVAILABLE, "Retry-After 5s"},
		{graphapi.Failure{Status: 503}, domain.EUNAVAILABLE, "unavailable (503)"},
		{graphapi.Failure{Status: 504}, domain.EUNAVAILABLE, "unavailable (504)"},
		{graphapi.Failure{Status: 500}, domain.EUPSTREAM, "answered 500"},
		{graphapi.Failure{Status: 502}, domain.EUPSTREAM, "answered 502"},
		{graphapi.Failure{Status: 400, Code: "Request_BadRequest"}, domain.EUPSTREAM, "answered 400"},
		{graphapi.Failure{Status: 410}, domain.EUPSTREAM, "answered 410"},
		{graphapi.Failure{Status: 400, Code: "SyncStateNotFound"}, domain.EUPSTREAM, "SyncStateNotFound"},
	} {
		err := tc.f.Err(nil, "read x", "Application.Read.All")
		if !domain.IsCode(err, tc.code) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "read x") {
			t.Errorf("%+v: got %v (%s), want %s saying %q", tc.f, err, domain.ErrorCode(err), tc.code, tc.says)
		}
		expired := tc.f.Status == 410 || tc.f.Code == "SyncStateNotFound"
		if errors.Is(err, domain.ErrDeltaExpired) != expired {
			t.Errorf("%+v: ErrDeltaExpired in the chain: %v, want %v", tc.f, !expired, expired)
		}
		var f *graphapi.Failure
		if !expired && (!errors.As(err, &f) || f.Status != tc.f.Status) {
			t.Errorf("%+v: the Failure is not in the chain", tc.f)
		}
	}
	if f := graphapi.ParseFailure(429, "2", []byte(`{"error":{"code":"TooManyRequests","message":"slow down"}}`)); f.Code != "TooManyRequests" || f.Message != "slow down" || f.RetryAfter != 2*time.Second {
		t.Errorf("ParseFailure: %+v", f)
	}
	if err := graphapi.Unreachable(&net.OpError{Op: "dial", Err: errors.New("refused")}, "read x"); !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Errorf("unreachable: %v", err)
	}
	if err := graphapi.Unreachable(context.DeadlineExceeded, "read x"); !domain.IsCode(err, domain.EUNAVAILABLE) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("timed out: %v", err)
	}
}

// fakeQuery answers the finder's queries from two filter → matches maps and
// records the queries.
type fakeQuery struct {
	sps, apps map[string][]graphapi.AppMatch
	asked     []string
}

func (q *fakeQuery) ServicePrincipals(_ context.Context, f string) ([]graphapi.AppMatch, error) {
	q.asked = append(q.asked, "sp "+f)
	return q.sps[f], nil
}

func (q *fakeQuery) Applications(_ context.Context, f string) ([]graphapi.AppMatch, error) {
	q.asked = append(q.asked, "app "+f)
	return q.apps[f], nil
}

// TestFindApp is the app finder's rule, the same for both Graph clients.
func TestFindApp(t *testing.T) {
	const (
		byID   = "appId eq 'A1'"
		byTag  = "tags/any(t:t eq '" + domain.ManagedTag + "')"
		byName = "displayName eq 'Aircall'"
	)
	m := func(id, appID string) []graphapi.AppMatch { return []graphapi.AppMatch{{ID: id, AppID: appID}} }
	for _, tc := range []struct {
		name      string
		lookup    domain.AppLookup
		sps, apps map[string][]graphapi.AppMatch
		want      graphapi.FoundApp
		code      domain.Code
		asked     string
	}{
		{name: "by appId", lookup: domain.AppLookup{AppID: "A1", DisplayName: "Aircall"}, sps: map[string][]graphapi.AppMatch{byID: m("sp1", "A1")},
			want: graphapi.FoundApp{AppID: "a1", ServicePrincipalID: "sp1", By: "appId A1"}, asked: "sp " + byID},
		{name: "appId set and unknown: no fallback to the tag", lookup: domain.AppLookup{AppID: "A1"}, sps: map[string][]graphapi.AppMatch{byTag: m("sp2", "A2")},
			code: domain.ENOTFOUND, asked: "sp " + byID + ",app " + byID},
		{name: "by tag: service principals and applications", sps: map[string][]graphapi.AppMatch{byTag: m("sp2", "A2")}, apps: map[string][]graphapi.AppMatch{byTag: m("o2", "a2")},
			want: graphapi.FoundApp{AppID: "a2", ServicePrincipalID: "sp2", By: "tag " + domain.ManagedTag}, asked: "sp " + byTag + ",app " + byTag},
		{name: "tagged application whose service principal is not", apps: map[string][]graphapi.AppMatch{byTag: m("o2", "A2")},
			want: graphapi.FoundApp{AppID: "a2", By: "tag " + domain.ManagedTag}, asked: "sp " + byTag + ",app " + byTag},
		{name: "by name when nothing is tagged", lookup: domain.AppLookup{DisplayName: "Aircall"}, sps: map[string][]graphapi.AppMatch{byName: m("sp3", "A3")},
			want: graphapi.FoundApp{AppID: "a3", ServicePrincipalID: "sp3", By: "display name Aircall"}, asked: "sp " + byTag + ",app " + byTag + ",sp " + byName},
		{name: "two tagged apps: conflict", sps: map[string][]graphapi.AppMatch{byTag: append(m("sp1", "A1"), m("sp2", "A2")...)},
			code: domain.ECONFLICT, asked: "sp " + byTag + ",app " + byTag},
		{name: "nothing", lookup: domain.AppLookup{DisplayName: "Aircall"}, code: domain.ENOTFOUND,
			asked: "sp " + byTag + ",app " + byTag + ",sp " + byName + ",app " + byName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeQuery{sps: tc.sps, apps: tc.apps}
			got, err := graphapi.FindApp(context.Background(), q, tc.lookup)
			if domain.ErrorCode(err) != tc.code || got != tc.want {
				t.Errorf("got %+v, %v; want %+v, code %q", got, err, tc.want, tc.code)
			}
			if a := strings.Join(q.asked, ","); a != tc.asked {
				t.Errorf("asked %s\nwant  %s", a, tc.asked)
			}
		})
	}
}
