package domain

import (
	"context"
	"time"
)

// SigningKeyReader reads, from Microsoft Graph, the signing keys of the
// Aircall app's service principal: the trust anchors of its federation
// metadata (docs/metadata.md, "Trust"). The archive job accepts a metadata
// document only when its signature verifies with one of these keys; the
// document's own certificates are never trusted by themselves.
//
// Adapters return ENOTFOUND when the app has no service principal,
// EFORBIDDEN naming the permission when Graph refuses, EUNAVAILABLE when
// Graph cannot be reached.
type SigningKeyReader interface {
	ServicePrincipalKeys(ctx context.Context, app AppRef) (ServicePrincipalKeys, error)
}

// ServicePrincipalKeys is what Graph lists for the app's service principal
// (servicePrincipal resource: id, keyCredentials,
// preferredTokenSigningKeyThumbprint).
type ServicePrincipalKeys struct {
	// ServicePrincipalID is the service principal's object id.
	ServicePrincipalID string `json:"servicePrincipalId"`
	// PreferredThumbprint is preferredTokenSigningKeyThumbprint in upper-case
	// hex: the active SAML signing certificate ("" when none is set).
	PreferredThumbprint string `json:"preferredThumbprint,omitempty"`
	// Keys are the service principal's keyCredentials, every usage and type.
	Keys []SigningKey `json:"keys"`
}

// SigningKey is one keyCredential of the service principal.
type SigningKey struct {
	KeyID string `json:"keyId"`
	// Thumbprint is the certificate's SHA-1 in upper-case hex: computed from
	// the key when Graph returned it, else customKeyIdentifier (which
	// defaults to the thumbprint; keyCredential resource type).
	Thumbprint string `json:"thumbprint"`
	// Usage is "Verify" or "Sign" (others may exist).
	Usage string `json:"usage"`
	// Type is e.g. "AsymmetricX509Cert" or "X509CertAndPassword".
	Type        string    `json:"type"`
	DisplayName string    `json:"displayName,omitempty"`
	Start       time.Time `json:"startDateTime"`
	End         time.Time `json:"endDateTime"`
}
