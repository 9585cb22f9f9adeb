package graphapi_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

func jwt(payload string) string {
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
}

// TestTokenObjectID: the caller's object id comes from the token's oid
// claim; anything else is refused naming the setting to set instead.
func TestTokenObjectID(t *testing.T) {
	if id, err := graphapi.TokenObjectID(jwt(`{"oid":"5E3CE6C0-2B1F-4285-8D4B-75EE78787346"}`)); err != nil || id != "5e3ce6c0-2b1f-4285-8d4b-75ee78787346" {
		t.Fatalf("oid: %q, %v", id, err)
	}
	for _, tok := range []string{"", "a.b", jwt(`{}`), jwt(`{"oid":"x' or 1"}`), "a.!!!.c", jwt(`[]`)} {
		if _, err := graphapi.TokenObjectID(tok); !domain.IsCode(err, domain.EINVALID) || !strings.Contains(err.Error(), domain.SettingAppOwner) {
			t.Errorf("%q: got %v, want EINVALID naming %s", tok, err, domain.SettingAppOwner)
		}
	}
}

// FuzzTokenObjectID: any token either yields a lower-case GUID or an
// EINVALID error; never a panic.
func FuzzTokenObjectID(f *testing.F) {
	for _, s := range []string{jwt(`{"oid":"5e3ce6c0-2b1f-4285-8d4b-75ee78787346"}`), "a.b.c", "", "..", jwt(`{"oid":1}`)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := graphapi.TokenObjectID(tok)
		if err == nil && (!domain.IsGUID(id) || id != strings.ToLower(id)) {
			t.Fatalf("%q gave %q", tok, id)
		}
		if err != nil && !domain.IsCode(err, domain.EINVALID) {
			t.Fatalf("%q: %v", tok, err)
		}
	})
}
