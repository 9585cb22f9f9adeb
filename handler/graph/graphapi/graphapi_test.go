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
// an owners map, and records the queries.
type fakeQuery struct {
	sps, apps map[string][]graphapi.AppMatch
	owners    map[string][]string
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

func (q *fakeQuery) Owners(_ context.Context, kind, id string) ([]string, error) {
	q.asked = append(q.asked, "owners "+kind+"/"+id)
	return q.owners[kind+"/"+id], nil
}

const (
	pinnedAppID = "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"
	otherAppID  = "1d3c8b9f-2e4d-4d6c-8b7f-8e9f0a1b2c3d"
	byID        = "appId eq '" + pinnedAppID + "'"
	byTag       = "tags/any(t:t eq '" + domain.ManagedTag + "')"
	byURI       = "identifierUris/any(u:u eq '" + domain.AircallEntityID + "')"
	byName      = "displayName eq 'Aircall'"
)

// TestFindAppByPinnedIDOnly: the finder asks for the pinned appId and
// nothing else — a tagged or same-named app is never a fallback.
func TestFindAppByPinnedIDOnly(t *testing.T) {
	m := func(id, appID string) []graphapi.AppMatch { return []graphapi.AppMatch{{ID: id, AppID: appID}} }
	q := &fakeQuery{sps: map[string][]graphapi.AppMatch{byID: m("sp1", strings.ToUpper(pinnedAppID))}}
	got, err := graphapi.FindApp(context.Background(), q, pinnedAppID)
	if err != nil || got != (graphapi.FoundApp{AppID: pinnedAppID, ServicePrincipalID: "sp1"}) || strings.Join(q.asked, ",") != "sp "+byID {
		t.Fatalf("by appId: %+v, %v, asked %v", got, err, q.asked)
	}
	q = &fakeQuery{sps: map[string][]graphapi.AppMatch{byTag: m("sp2", otherAppID), byName: m("sp2", otherAppID)}}
	if _, err := graphapi.FindApp(context.Background(), q, pinnedAppID); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("unknown pinned appId with a tagged look-alike: got %v, want ENOTFOUND", err)
	}
	if a := strings.Join(q.asked, ","); a != "sp "+byID+",app "+byID {
		t.Errorf("asked %s: the finder must not look by tag or name", a)
	}
	if _, err := graphapi.FindApp(context.Background(), q, "x' or true"); !domain.IsCode(err, domain.EINVALID) {
		t.Errorf("a non-GUID appId must be refused before any query: %v", err)
	}
}

// TestResolvePinnedRefusesUnowned: the pinned app must be owned by the
// deployment's identity on both objects.
func TestResolvePinnedRefusesUnowned(t *testing.T) {
	pin := domain.PinnedApp{AppID: pinnedAppID, ObjectID: "o1", ServicePrincipalID: "sp1"}
	q := &fakeQuery{sps: map[string][]graphapi.AppMatch{byID: {{ID: "sp1", AppID: pinnedAppID}}},
		owners: map[string][]string{"applications/o1": {"me"}, "servicePrincipals/sp1": {"someone"}}}
	_, err := graphapi.ResolvePinned(context.Background(), q, pin, "me")
	if !domain.IsCode(err, domain.EFORBIDDEN) || !strings.Contains(err.Error(), domain.SettingAppOwner) || !strings.Contains(err.Error(), "service principal") {
		t.Fatalf("unowned service principal: %v", err)
	}
	q.owners["servicePrincipals/sp1"] = []string{"ME"}
	if sp, err := graphapi.ResolvePinned(context.Background(), q, pin, "me"); err != nil || sp != "sp1" {
		t.Fatalf("owned: %q, %v", sp, err)
	}
	pin.ServicePrincipalID = "sp-other"
	if _, err := graphapi.ResolvePinned(context.Background(), q, pin, "me"); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("another service principal than the pinned one: %v", err)
	}
}

// TestLookAlikes: every app with our tag, Aircall's identifier URI or our
// name, except the pinned one, once, with every reason.
func TestLookAlikes(t *testing.T) {
	q := &fakeQuery{
		sps: map[string][]graphapi.AppMatch{byTag: {{ID: "sp1", AppID: pinnedAppID}, {ID: "sp2", AppID: otherAppID, DisplayName: "Aircall"}}},
		apps: map[string][]graphapi.AppMatch{byURI: {{ID: "o2", AppID: otherAppID, DisplayName: "Aircall"}},
			byName: {{ID: "o3", AppID: "2e4d9c0a-3f5e-4e7d-9c8a-9f0a1b2c3d4e", DisplayName: "Aircall"}}},
	}
	got, err := graphapi.LookAlikes(context.Background(), q, pinnedAppID, "Aircall")
	if err != nil || len(got) != 2 {
		t.Fatalf("look-alikes: %+v, %v", got, err)
	}
	if got[0].AppID != otherAppID || strings.Join(got[0].Why, ";") != "tag "+domain.ManagedTag+";identifier URI "+domain.AircallEntityID {
		t.Errorf("first look-alike: %+v", got[0])
	}
	if got[1].Why[0] != "display name Aircall" {
		t.Errorf("second look-alike: %+v", got[1])
	}
}

// TestDeltaExpiredForms: an expired delta token is recognised however
// Graph says it (learn.microsoft.com/graph/delta-query-overview, "Token
// duration" and "Synchronization reset"; learn.microsoft.com/graph/errors):
// a 410 Gone, or a 40X with syncStateNotFound or resyncRequired as the code
// or as any nested innerError code; the same codes on a 5xx, or other
// codes on a 400, are not.
func TestDeltaExpiredForms(t *testing.T) {
	for _, tc := range []struct {
		status  int
		body    string
		expired bool
	}{
		{410, `{"error":{"code":"gone","message":"reset"}}`, true},
		{400, `{"error":{"code":"syncStateNotFound","message":"The sync state generation is not found."}}`, true},
		{400, `{"error":{"code":"badRequest","message":"x","innerError":{"code":"syncStateNotFound"}}}`, true},
		{404, `{"error":{"code":"itemNotFound","message":"x","innerError":{"code":"invalidRequest","innerError":{"code":"resyncRequired"}}}}`, true},
		{403, `{"error":{"code":"accessDenied","message":"x","innererror":{"code":"SyncStateNotFound"}}}`, true},
		{400, `{"error":{"code":"badRequest","message":"x","innerError":{"code":"invalidRequest"}}}`, false},
		{500, `{"error":{"code":"generalException","message":"x","innerError":{"code":"syncStateNotFound"}}}`, false},
	} {
		f := graphapi.ParseFailure(tc.status, "", []byte(tc.body))
		err := f.Err(nil, "GET /v1.0/users/delta", "User.Read.All")
		if got := errors.Is(err, domain.ErrDeltaExpired); got != tc.expired {
			t.Errorf("%d %s: expired %v, want %v (%v)", tc.status, tc.body, got, tc.expired, err)
		}
	}
	deep := `{"error":{"code":"a","message":"x","innerError":{"code":"b","innerError":{"code":"c","innerError":{"code":"syncStateNotFound"}}}}}`
	if f := graphapi.ParseFailure(400, "", []byte(deep)); len(f.Inner) != 3 || f.Inner[2] != "syncStateNotFound" {
		t.Errorf("inner codes: %v", f.Inner)
	}
}
