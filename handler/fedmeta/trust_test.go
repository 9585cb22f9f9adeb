package fedmeta_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

// attacker's certificate has a key of its own: nothing Graph lists.
var attacker = fedmetatest.NewAttackerCert(fedmetatest.DefaultSubject, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0))

const forgedSSO = "https://login.attacker.example/saml2"

// forged is a self-consistent forgery: the attacker's certificate in
// KeyInfo and in every KeyDescriptor, their SSO URL, their signature.
func forged() []byte {
	return fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{attacker}, SSOLocation: forgedSSO}.MustBytes()
}

// TestParseRefusesForgeries: only Graph's view of the service principal
// vouches for a document; the certificates it carries never do.
func TestParseRefusesForgeries(t *testing.T) {
	noKeyInfo := func(c *fedmetatest.Cert) []byte {
		// Sign, then drop the KeyInfo: the signature then names no certificate.
		b := fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c}, SSOLocation: forgedSSO}.MustBytes()
		tree := etree.NewDocument()
		if err := tree.ReadFromBytes(bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})); err != nil {
			t.Fatal(err)
		}
		sig := tree.Root().SelectElement("Signature")
		sig.RemoveChild(sig.SelectElement("KeyInfo"))
		out, _ := tree.WriteToBytes()
		return out
	}
	// KeyInfo names the real certificate, the attacker's key signs.
	impostor := &fedmetatest.Cert{Key: attacker.Key, Cert: certA.Cert, DER: certA.DER}
	onlyEncrypt := fedmetatest.Keys(certA)
	for i := range onlyEncrypt.Keys {
		onlyEncrypt.Keys[i].Usage = "Encrypt"
	}
	onlyEncrypt.PreferredThumbprint = ""
	tests := []struct {
		name    string
		doc     []byte
		keys    *domain.ServicePrincipalKeys
		problem fedmeta.Problem
		say     string
	}{
		{"attacker key in KeyInfo and KeyDescriptors, changed SSO URL", forged(), fedmetatest.Keys(certA), fedmeta.ProblemUntrustedSigner, "does not list"},
		{"the same forgery without KeyInfo", noKeyInfo(attacker), fedmetatest.Keys(certA), fedmeta.ProblemUntrustedSigner, "none of the 1"},
		{"signed by the app's certificate but listing the attacker's", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA, attacker}, Signer: certA}.MustBytes(),
			fedmetatest.Keys(certA), fedmeta.ProblemUntrustedCertificate, attacker.Thumbprint()},
		{"KeyInfo names the app's certificate, the attacker's key signs", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, Signer: impostor, SSOLocation: forgedSSO}.MustBytes(),
			fedmetatest.Keys(certA), fedmeta.ProblemSignature, "does not verify"},
		{"Graph lists no signing key", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}}.MustBytes(),
			&domain.ServicePrincipalKeys{ServicePrincipalID: "sp"}, fedmeta.ProblemUntrustedSigner, "lists no SAML signing certificate"},
		{"Graph lists the certificate for encryption only", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}}.MustBytes(),
			onlyEncrypt, fedmeta.ProblemUntrustedSigner, "lists no SAML signing certificate"},
		{"active per preferredTokenSigningKeyThumbprint but not a keyCredential", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}}.MustBytes(),
			&domain.ServicePrincipalKeys{ServicePrincipalID: "sp", PreferredThumbprint: strings.ToLower(certA.Thumbprint())}, fedmeta.ProblemUntrustedCertificate, "not a signing keyCredential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := fedmeta.Parse(tt.doc, fedmeta.Options{Tenant: tenant, Now: now, Keys: tt.keys})
			if err == nil {
				t.Fatalf("accepted: SSO %v", m.SingleSignOnURLs)
			}
			if got := fedmeta.ProblemOf(err); got != tt.problem || !domain.IsCode(err, domain.EUPSTREAM) {
				t.Fatalf("problem %q code %s, want %q EUPSTREAM (%v)", got, domain.ErrorCode(err), tt.problem, err)
			}
			if msg := domain.ErrorMessage(err); !strings.Contains(msg, tt.say) {
				t.Errorf("message %q: want it to say %q", msg, tt.say)
			}
		})
	}
	// The same documents with the attacker's certificate listed in Graph
	// parse: what refused them above is the trust rule alone.
	if _, err := fedmeta.Parse(forged(), fedmeta.Options{Tenant: tenant, Now: now, Keys: fedmetatest.Keys(attacker)}); err != nil {
		t.Fatalf("the forgery, trusted through Graph: %v", err)
	}
}

// TestParseTrust: what Graph lists decides which certificate may sign.
func TestParseTrust(t *testing.T) {
	doc := fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA, certB}, Signer: certB}.MustBytes()
	// Graph lists both; B is active in Graph too.
	m, err := fedmeta.Parse(doc, fedmeta.Options{Tenant: tenant, Now: now, Keys: fedmetatest.Keys(certB, certA)})
	if err != nil || !m.Certificates[1].SignsDocument {
		t.Fatalf("rollover signed by B: %v %+v", err, m)
	}
	// Graph lists the Verify keyCredential only (lower-case customKeyIdentifier hex).
	k := fedmetatest.Keys(certA, certB)
	var verify []domain.SigningKey
	for _, key := range k.Keys {
		if key.Usage == "Verify" {
			key.Thumbprint = strings.ToLower(key.Thumbprint)
			verify = append(verify, key)
		}
	}
	k.Keys = verify
	if _, err := fedmeta.Parse(doc, fedmeta.Options{Tenant: tenant, Now: now, Keys: k}); err != nil {
		t.Fatalf("Verify keyCredentials only: %v", err)
	}
	if _, err := fedmeta.Parse(doc, fedmeta.Options{Tenant: tenant, Now: now}); !domain.IsCode(err, domain.EINTERNAL) {
		t.Fatalf("no keys: got %v, want EINTERNAL (a wiring bug, never 'trust the document')", err)
	}
}
