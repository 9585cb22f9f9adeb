package fedmetatest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Thumbprint is the certificate's SHA-1 in upper-case hex.
func (c *Cert) Thumbprint() string {
	sum := sha1.Sum(c.DER)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Keys is what Microsoft Graph lists for a service principal holding certs
// as SAML signing certificates, the first one active: per certificate a
// "Sign" (X509CertAndPassword) and a "Verify" (AsymmetricX509Cert)
// keyCredential, as addTokenSigningCertificate creates them.
func Keys(certs ...*Cert) *domain.ServicePrincipalKeys {
	k := &domain.ServicePrincipalKeys{ServicePrincipalID: "5d1e7f3a-9b2c-4d8e-a1f0-6c3b2a1d0e9f", Keys: []domain.SigningKey{}}
	for i, c := range certs {
		if i == 0 {
			k.PreferredThumbprint = c.Thumbprint()
		}
		for _, u := range []struct{ usage, typ string }{{"Sign", "X509CertAndPassword"}, {"Verify", "AsymmetricX509Cert"}} {
			k.Keys = append(k.Keys, domain.SigningKey{Thumbprint: c.Thumbprint(), Usage: u.usage, Type: u.typ,
				Start: c.Cert.NotBefore, End: c.Cert.NotAfter})
		}
	}
	return k
}

// StaticKeys is a domain.SigningKeyReader answering the same keys for any
// app; Err, when set, is returned instead.
type StaticKeys struct {
	Keys *domain.ServicePrincipalKeys
	Err  error
}

// Trust returns a StaticKeys for certs (Keys).
func Trust(certs ...*Cert) *StaticKeys { return &StaticKeys{Keys: Keys(certs...)} }

// ServicePrincipalKeys implements domain.SigningKeyReader.
func (s *StaticKeys) ServicePrincipalKeys(context.Context, domain.AppRef) (domain.ServicePrincipalKeys, error) {
	if s.Err != nil {
		return domain.ServicePrincipalKeys{}, s.Err
	}
	return *s.Keys, nil
}
