package fedmeta

import (
	"crypto/x509"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// The trust rule (docs/metadata.md, "Trust"): a document is Entra's only
// when its XML signature verifies with a certificate Microsoft Graph lists
// for the app's service principal — the active one
// (preferredTokenSigningKeyThumbprint) or a signing keyCredential — and every
// signing certificate it lists is one of those keyCredentials. The
// certificate in the signature's KeyInfo and the KeyDescriptors of the
// document are what whoever answered the fetch chose to send: they name
// candidates, never vouch for themselves.
//
// Which keyCredentials are signing keys: addTokenSigningCertificate adds a
// "Sign" (private) and a "Verify" (public) keyCredential with the same
// customKeyIdentifier (servicePrincipal: addTokenSigningCertificate,
// learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate);
// both usages count when their type is AsymmetricX509Cert (keyCredential
// resource type, learn.microsoft.com/graph/api/resources/keycredential).
type trust struct {
	sp        string
	signing   map[string]bool // thumbprints of the signing keyCredentials
	preferred string
}

// signingKeyType is the keyCredential type of a SAML signing certificate's
// public part.
const signingKeyType = "AsymmetricX509Cert"

// newTrust builds the trust anchors from what Graph lists; nil keys is a
// wiring bug (EINTERNAL), no signing key at all refuses every document.
func newTrust(k *domain.ServicePrincipalKeys) (*trust, error) {
	if k == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "fedmeta: Parse needs the service principal's signing keys from Graph (Options.Keys)")
	}
	t := &trust{sp: k.ServicePrincipalID, signing: map[string]bool{}, preferred: strings.ToUpper(strings.TrimSpace(k.PreferredThumbprint))}
	for _, key := range k.Keys {
		if (key.Usage == "Verify" || key.Usage == "Sign") && key.Type == signingKeyType && key.Thumbprint != "" {
			t.signing[strings.ToUpper(key.Thumbprint)] = true
		}
	}
	if len(t.signing) == 0 && t.preferred == "" {
		return nil, refuse(ProblemUntrustedSigner, nil,
			"Microsoft Graph lists no SAML signing certificate for the app's service principal %s, so nothing can vouch for the document: give the app an active signing certificate (run provision)", t.spName())
	}
	return t, nil
}

func (t *trust) spName() string {
	if t.sp == "" {
		return "(unknown id)"
	}
	return t.sp
}

// maySign reports whether a certificate may sign the document.
func (t *trust) maySign(c *x509.Certificate) bool {
	tp := thumbprint(c)
	return t.signing[tp] || (t.preferred != "" && tp == t.preferred)
}

// candidates returns the certificates the signature may be checked with:
// the KeyInfo certificate when the signature names one (it must be
// trusted), else the listed certificates that are trusted.
func (t *trust) candidates(keyInfo *x509.Certificate, listed []*x509.Certificate) ([]*x509.Certificate, error) {
	if keyInfo != nil {
		if !t.maySign(keyInfo) {
			return nil, refuse(ProblemUntrustedSigner, nil,
				"the document is signed with certificate %s, which Microsoft Graph does not list for the app's service principal %s: it was not signed by Entra ID (a forged or intercepted document; check LOGIN_AUTHORITY and any proxy)",
				thumbprint(keyInfo), t.spName())
		}
		return []*x509.Certificate{keyInfo}, nil
	}
	var out []*x509.Certificate
	for _, c := range listed {
		if t.maySign(c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, refuse(ProblemUntrustedSigner, nil,
			"the signature names no certificate and none of the %d the document lists is a signing key of the app's service principal %s in Microsoft Graph", len(listed), t.spName())
	}
	return out, nil
}

// checkListed refuses a document listing a signing certificate that is not
// one of the service principal's signing keyCredentials: Aircall would trust
// it for sign-ins.
func (t *trust) checkListed(listed []*x509.Certificate) error {
	for _, c := range listed {
		if tp := thumbprint(c); !t.signing[tp] {
			return refuse(ProblemUntrustedCertificate, nil,
				"the document lists signing certificate %s, which is not a signing keyCredential of the app's service principal %s in Microsoft Graph: Aircall must not be told to trust it",
				tp, t.spName())
		}
	}
	return nil
}
