package graphsim

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

// signingCert is a token signing certificate of a service principal, as
// addTokenSigningCertificate creates it: a real self-signed RSA X.509
// certificate and its private key.
type signingCert struct {
	der         []byte
	cert        *x509.Certificate
	key         *rsa.PrivateKey
	thumbprint  string // uppercase hex SHA-1 of the DER
	signKeyID   string
	verifyKeyID string
	displayName string
	start, end  time.Time
}

// newSigningCert creates a self-signed certificate with subject
// displayName ("CN=…") valid from now to end, with the tests' one
// certificate maker (fedmetatest.NewCert, which also reuses RSA keys after
// the first few to keep tests fast).
func newSigningCert(displayName string, end time.Time) (*signingCert, error) {
	start := time.Now().UTC()
	c := fedmetatest.NewCert(strings.TrimPrefix(displayName, "CN="), start.Add(-time.Minute), end)
	sum := sha1.Sum(c.DER)
	return &signingCert{der: c.DER, cert: c.Cert, key: c.Key, thumbprint: strings.ToUpper(hex.EncodeToString(sum[:])),
		signKeyID: uuid.NewString(), verifyKeyID: uuid.NewString(), displayName: displayName, start: start, end: end}, nil
}

func stamp7(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

func (c *signingCert) customKeyID() string {
	sum := sha1.Sum(c.der)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// credentials renders the Sign and Verify keyCredentials and the
// passwordCredential; key is null unless withKey.
func (c *signingCert) credentials(withKey bool) ([]any, any) {
	var key any
	if withKey {
		key = base64.StdEncoding.EncodeToString(c.der)
	}
	cred := func(keyID, typ, usage string) map[string]any {
		return map[string]any{"customKeyIdentifier": c.customKeyID(), "displayName": c.displayName,
			"endDateTime": stamp7(c.end), "key": key, "keyId": keyID, "startDateTime": stamp7(c.start), "type": typ, "usage": usage}
	}
	pwd := map[string]any{"customKeyIdentifier": c.customKeyID(), "displayName": c.displayName, "endDateTime": stamp7(c.end),
		"hint": nil, "keyId": c.signKeyID, "secretText": nil, "startDateTime": stamp7(c.start)}
	return []any{cred(c.signKeyID, "X509CertAndPassword", "Sign"), cred(c.verifyKeyID, "AsymmetricX509Cert", "Verify")}, pwd
}

// RotateSigningCertificate adds a new signing certificate (3 years) to the
// app's service principal and makes it the active one; the previous
// certificates stay, inactive. It returns the new thumbprint.
func (t *Tenant) RotateSigningCertificate(appID string) (string, error) {
	cert, err := newSigningCert("CN=Microsoft Azure Federated SSO Certificate", time.Now().UTC().AddDate(3, 0, 0))
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.spByAppID(appID)
	if sp == nil {
		return "", fmt.Errorf("graphsim: no service principal for app %s", appID)
	}
	sp.certs = append(sp.certs, cert)
	sp.props["preferredTokenSigningKeyThumbprint"] = cert.thumbprint
	return cert.thumbprint, nil
}

// activeCert is the certificate that signs: the preferred one, unless it
// expired and a valid one exists (then the newest valid one).
func (sp *object) activeCert() *signingCert {
	pref := sp.str("preferredTokenSigningKeyThumbprint")
	now := time.Now()
	var preferred, newestValid *signingCert
	for _, c := range sp.certs {
		if strings.EqualFold(c.thumbprint, pref) {
			preferred = c
		}
		if now.Before(c.end) && (newestValid == nil || c.start.After(newestValid.start)) {
			newestValid = c
		}
	}
	if preferred != nil && (now.Before(preferred.end) || newestValid == nil) {
		return preferred
	}
	return newestValid
}
