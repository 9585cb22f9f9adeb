package graphapi

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Scope is the token scope for the Graph root u: "{scheme}://{host}/.default",
// or Graph's for the local simulator (plain http on loopback).
func Scope(u *url.URL) string {
	if u.Scheme == "http" {
		return "https://graph.microsoft.com/.default"
	}
	return u.Scheme + "://" + u.Host + "/.default"
}

// TokenObjectID reads the oid claim of a JWT access token.
func TokenObjectID(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", domain.Errorf(domain.EINVALID, "the Graph token is not a JWT: set %s", domain.SettingAppOwner)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	var claims struct {
		OID string `json:"oid"`
	}
	if err != nil || json.Unmarshal(raw, &claims) != nil || !domain.IsGUID(claims.OID) {
		return "", domain.Errorf(domain.EINVALID, "the Graph token carries no object id (oid): set %s", domain.SettingAppOwner)
	}
	return strings.ToLower(claims.OID), nil
}
