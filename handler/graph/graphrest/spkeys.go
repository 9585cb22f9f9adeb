package graphrest

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

var _ domain.SigningKeyReader = (*Client)(nil)

// spKeysSelect is the $select of the read: $select=keyCredentials is what
// makes Graph return each key's value (servicePrincipal: Get,
// learn.microsoft.com/graph/api/serviceprincipal-get: "By default, this API
// doesn't return the public key value of the key in the keyCredentials
// property unless keyCredentials is specified in a $select query"; such
// reads are limited to 150 per minute per tenant, the archive makes one a
// run).
const spKeysSelect = "id,keyCredentials,preferredTokenSigningKeyThumbprint"

// ServicePrincipalKeys reads GET /v1.0/servicePrincipals(appId='{appId}')
// ?$select=id,keyCredentials,preferredTokenSigningKeyThumbprint
// (Application.Read.All): the trust anchors of the app's federation
// metadata. Each key's Thumbprint is the SHA-1 of its certificate when Graph
// returned the key, else its customKeyIdentifier, a Binary (base64 in JSON)
// that defaults to the certificate's thumbprint (keyCredential resource
// type, learn.microsoft.com/graph/api/resources/keycredential); a
// customKeyIdentifier that is neither is left empty, so trusts nothing.
func (c *Client) ServicePrincipalKeys(ctx context.Context, app domain.AppRef) (domain.ServicePrincipalKeys, error) {
	if err := app.Validate(); err != nil {
		return domain.ServicePrincipalKeys{}, err
	}
	var sp struct {
		ID                                 string `json:"id"`
		PreferredTokenSigningKeyThumbprint string `json:"preferredTokenSigningKeyThumbprint"`
		KeyCredentials                     []struct {
			KeyID               string    `json:"keyId"`
			CustomKeyIdentifier string    `json:"customKeyIdentifier"`
			Key                 string    `json:"key"`
			Usage               string    `json:"usage"`
			Type                string    `json:"type"`
			DisplayName         string    `json:"displayName"`
			StartDateTime       time.Time `json:"startDateTime"`
			EndDateTime         time.Time `json:"endDateTime"`
		} `json:"keyCredentials"`
	}
	path := "/v1.0/servicePrincipals(appId=" + url.PathEscape(graphapi.String(app.AppID)) + ")?$select=" + spKeysSelect
	if err := c.Get(ctx, path, &sp); err != nil {
		return domain.ServicePrincipalKeys{}, err
	}
	out := domain.ServicePrincipalKeys{ServicePrincipalID: sp.ID, Keys: []domain.SigningKey{},
		PreferredThumbprint: hexThumbprint(sp.PreferredTokenSigningKeyThumbprint)}
	for _, k := range sp.KeyCredentials {
		out.Keys = append(out.Keys, domain.SigningKey{KeyID: k.KeyID, Usage: k.Usage, Type: k.Type, DisplayName: k.DisplayName,
			Thumbprint: keyThumbprint(k.Key, k.CustomKeyIdentifier), Start: k.StartDateTime, End: k.EndDateTime})
	}
	return out, nil
}

// keyThumbprint is the upper-case hex SHA-1 of the key's certificate, or
// the thumbprint customKeyIdentifier holds (20 bytes in base64, or 40 hex
// digits), or "".
func keyThumbprint(key, customKeyID string) string {
	if der, err := base64.StdEncoding.DecodeString(key); err == nil && len(der) > 0 {
		if _, err := x509.ParseCertificate(der); err == nil {
			sum := sha1.Sum(der)
			return strings.ToUpper(hex.EncodeToString(sum[:]))
		}
	}
	if tp := hexThumbprint(customKeyID); tp != "" {
		return tp
	}
	if b, err := base64.StdEncoding.DecodeString(customKeyID); err == nil && len(b) == sha1.Size {
		return strings.ToUpper(hex.EncodeToString(b))
	}
	return ""
}

// hexThumbprint returns s in upper case when it is 40 hex digits, else "".
func hexThumbprint(s string) string {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == sha1.Size {
		return strings.ToUpper(s)
	}
	return ""
}
