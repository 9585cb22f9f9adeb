package fedmeta_test

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

var (
	now     = time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	certA   = fedmetatest.NewCert(fedmetatest.DefaultSubject, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0))
	certB   = fedmetatest.NewCert(fedmetatest.DefaultSubject, now.AddDate(0, -1, 0), now.AddDate(3, 0, 0))
	expired = fedmetatest.NewCert(fedmetatest.DefaultSubject, now.AddDate(-3, 0, 0), now.AddDate(0, 0, -1))
)

// opts trusts the test certificates, as Graph would list them for the
// app's service principal.
func opts() fedmeta.Options {
	return fedmeta.Options{Tenant: tenant, Now: now, Keys: fedmetatest.Keys(certA, certB, expired)}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name       string
		doc        fedmetatest.Doc
		wantCerts  []*fedmetatest.Cert
		wantSigner int // index in wantCerts of the signer; -1 none
	}{
		{"one certificate with BOM", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}}, []*fedmetatest.Cert{certA}, 0},
		{"no BOM", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, NoBOM: true}, []*fedmetatest.Cert{certA}, 0},
		{"rollover: two certificates, the second signs", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA, certB}, Signer: certB}, []*fedmetatest.Cert{certA, certB}, 1},
		{"an expired inactive certificate is listed, a valid one signs", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{expired, certA}, Signer: certA}, []*fedmetatest.Cert{expired, certA}, 1},
		{"signed by a certificate not listed", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, Signer: certB}, []*fedmetatest.Cert{certA}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := fedmeta.Parse(tt.doc.MustBytes(), opts())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.EntityID != "https://sts.windows.net/"+tenant+"/" {
				t.Errorf("entityID %q", m.EntityID)
			}
			wantSSO := "https://login.microsoftonline.com/" + tenant + "/saml2"
			if got := m.SingleSignOnURLs["urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"]; got != wantSSO || len(m.SingleSignOnURLs) != 2 {
				t.Errorf("SSO URLs %v, want both bindings at %s", m.SingleSignOnURLs, wantSSO)
			}
			if len(m.SingleLogoutURLs) != 1 {
				t.Errorf("SLO URLs %v", m.SingleLogoutURLs)
			}
			if len(m.Certificates) != len(tt.wantCerts) {
				t.Fatalf("%d certificates, want %d", len(m.Certificates), len(tt.wantCerts))
			}
			for i, c := range tt.wantCerts {
				got := m.Certificates[i]
				want := fmt.Sprintf("%X", sha1.Sum(c.DER))
				if got.Thumbprint != want {
					t.Errorf("cert %d thumbprint %s, want %s (upper-case hex SHA-1)", i, got.Thumbprint, want)
				}
				if w := fmt.Sprintf("%X", sha256.Sum256(c.DER)); got.SHA256 != w {
					t.Errorf("cert %d sha256 %s, want %s", i, got.SHA256, w)
				}
				if got.Subject != "CN="+fedmetatest.DefaultSubject {
					t.Errorf("cert %d subject %q", i, got.Subject)
				}
				if !got.NotAfter.Equal(c.Cert.NotAfter) || !got.NotBefore.Equal(c.Cert.NotBefore) {
					t.Errorf("cert %d validity %s–%s", i, got.NotBefore, got.NotAfter)
				}
				if got.SignsDocument != (i == tt.wantSigner) {
					t.Errorf("cert %d SignsDocument=%v, want signer index %d", i, got.SignsDocument, tt.wantSigner)
				}
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	valid := fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}}.MustBytes()
	body := bytes.TrimPrefix(valid, []byte{0xEF, 0xBB, 0xBF})
	afterDecl := bytes.Index(body, []byte("?>")) + 2
	withDoctype := func(dtd string) []byte {
		return append(append(append([]byte{}, body[:afterDecl]...), dtd...), body[afterDecl:]...)
	}
	tampered := bytes.Replace(valid, []byte("login.microsoftonline.com/"+tenant+"/saml2"), []byte("login.attacker.example/"+tenant+"/saml2"), 2)
	big := append(append([]byte{}, valid...), bytes.Repeat([]byte("<!-- pad -->"), 10<<20/12)...)
	nest := append(bytes.Repeat([]byte("<a>"), 100000), bytes.Repeat([]byte("</a>"), 100000)...)
	deep := bytes.Replace(body, []byte("</EntityDescriptor>"), append(nest, "</EntityDescriptor>"...), 1)

	tests := []struct {
		name    string
		doc     []byte
		problem fedmeta.Problem
		say     string // part of the message a person reads
	}{
		{"empty", nil, fedmeta.ProblemEmpty, "empty"},
		{"BOM only", []byte{0xEF, 0xBB, 0xBF, '\n'}, fedmeta.ProblemEmpty, "empty"},
		{"10 MiB", big, fedmeta.ProblemTooLarge, "limit"},
		{"DTD with entity expansion (billion laughs)", withDoctype(`<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>`), fedmeta.ProblemDTD, "DOCTYPE"},
		{"external entity (XXE)", withDoctype(`<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`), fedmeta.ProblemDTD, "DOCTYPE"},
		{"bare DOCTYPE", withDoctype(`<!DOCTYPE EntityDescriptor>`), fedmeta.ProblemDTD, "DTD"},
		{"undefined entity reference", bytes.Replace(body, []byte("saml2\""), []byte("saml2&xxe;\""), 1), fedmeta.ProblemMalformed, "well-formed"},
		{"truncated", valid[:len(valid)/2], fedmeta.ProblemMalformed, "well-formed"},
		{"truncated at the last byte", valid[:len(valid)-1], fedmeta.ProblemMalformed, "well-formed"},
		{"non-UTF-8 encoding", bytes.Replace(body, []byte(`encoding="utf-8"`), []byte(`encoding="iso-8859-1"`), 1), fedmeta.ProblemMalformed, "encoding"},
		{"deep nesting (100,000 levels)", deep, fedmeta.ProblemMalformed, "deeper than"},
		{"huge attribute (900 KB) after signing", bytes.Replace(valid, []byte(`entityID=`), append(append([]byte(`x="`), bytes.Repeat([]byte("A"), 900<<10)...), `" entityID=`...), 1), fedmeta.ProblemSignature, "does not verify"},
		{"trailing second root", append(append([]byte{}, body...), []byte("<x/>")...), fedmeta.ProblemMalformed, "root"},
		{"not metadata", []byte(`<html><body>Sign in</body></html>`), fedmeta.ProblemNotMetadata, "EntityDescriptor"},
		{"wrong entityID", fedmetatest.Doc{Tenant: tenant, EntityID: "https://sts.windows.net/00000000-0000-0000-0000-000000000001/", Certs: []*fedmetatest.Cert{certA}}.MustBytes(), fedmeta.ProblemEntityID, "another tenant"},
		{"no SAML 2.0 IDPSSODescriptor", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, Edit: func(r *etree.Element) {
			r.SelectElement("IDPSSODescriptor").CreateAttr("protocolSupportEnumeration", "urn:oasis:names:tc:SAML:1.1:protocol")
		}}.MustBytes(), fedmeta.ProblemNoIDP, "SAML 2.0"},
		{"no SingleSignOnService", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, SSOLocation: "-"}.MustBytes(), fedmeta.ProblemNoSSO, "SingleSignOnService"},
		{"plain http SSO URL", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, SSOLocation: "http://login.example.com/saml2"}.MustBytes(), fedmeta.ProblemNoSSO, "https"},
		{"no signing certificate", fedmetatest.Doc{Tenant: tenant, Signer: certA}.MustBytes(), fedmeta.ProblemNoCertificate, "no signing certificate"},
		{"garbage certificate", bytes.Replace(valid, []byte("<X509Certificate>MII"), []byte("<X509Certificate>!!"), 1), fedmeta.ProblemBadCert, "base64"},
		{"unsigned", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, Unsigned: true}.MustBytes(), fedmeta.ProblemUnsigned, "no XML signature"},
		{"bad signature (altered after signing)", tampered, fedmeta.ProblemSignature, "altered"},
		{"signer expired", fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{expired}}.MustBytes(), fedmeta.ProblemSignerExpired, "valid only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := fedmeta.Parse(tt.doc, opts())
			if err == nil {
				t.Fatalf("accepted: %v", m)
			}
			if got := fedmeta.ProblemOf(err); got != tt.problem {
				t.Errorf("problem %q, want %q (%v)", got, tt.problem, err)
			}
			if !domain.IsCode(err, domain.EUPSTREAM) {
				t.Errorf("code %q, want EUPSTREAM", domain.ErrorCode(err))
			}
			msg := domain.ErrorMessage(err)
			if !strings.HasPrefix(msg, "federation metadata refused: ") || !strings.Contains(msg, tt.say) {
				t.Errorf("message %q: want it to start with 'federation metadata refused: ' and say %q", msg, tt.say)
			}
		})
	}
}

func TestParseNeedsTenant(t *testing.T) {
	_, err := fedmeta.Parse([]byte("<x/>"), fedmeta.Options{})
	if !domain.IsCode(err, domain.EINTERNAL) {
		t.Fatalf("got %v, want EINTERNAL", err)
	}
}

// TestParseUsesSignedContentOnly checks a document where an unsigned copy of
// the IDPSSODescriptor is smuggled next to the signed one: the facts must
// come from what was signed.
func TestParseUsesSignedContentOnly(t *testing.T) {
	doc := fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}}.MustBytes()
	tree := etree.NewDocument()
	if err := tree.ReadFromBytes(bytes.TrimPrefix(doc, []byte{0xEF, 0xBB, 0xBF})); err != nil {
		t.Fatal(err)
	}
	evil := tree.Root().SelectElement("IDPSSODescriptor").Copy()
	for _, sso := range evil.SelectElements("SingleSignOnService") {
		sso.CreateAttr("Location", "https://evil.example/saml2")
	}
	tree.Root().InsertChildAt(1, evil)
	b, _ := tree.WriteToBytes()
	if m, err := fedmeta.Parse(b, opts()); err == nil {
		t.Fatalf("a document with an injected descriptor was accepted: %v", m.SingleSignOnURLs)
	} else if fedmeta.ProblemOf(err) != fedmeta.ProblemSignature {
		t.Fatalf("got %v, want a signature failure", err)
	}
}
