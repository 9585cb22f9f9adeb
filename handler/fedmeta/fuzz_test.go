package fedmeta_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

// fuzzNow lies inside the validity of the certificates in the committed
// corpus (testdata/fuzz/FuzzParse), which TestWriteFuzzCorpus writes.
var fuzzNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// FuzzParse feeds arbitrary bytes to the parser: it must never panic, and
// whatever it accepts must satisfy every rule it promises to check.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/` + tenant + `/"/>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`))
	keys := corpusKeys(f)
	trusted := map[string]bool{}
	for _, k := range keys.Keys {
		trusted[k.Thumbprint] = true
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := fedmeta.Parse(doc, fedmeta.Options{Tenant: tenant, Now: fuzzNow, Keys: keys})
		if err != nil {
			if fedmeta.ProblemOf(err) == "" || !domain.IsCode(err, domain.EUPSTREAM) {
				t.Fatalf("error without a problem class or with code %s: %v", domain.ErrorCode(err), err)
			}
			return
		}
		if m.EntityID != fedmeta.EntityIDFor(tenant) && !strings.EqualFold(m.EntityID, fedmeta.EntityIDFor(tenant)) {
			t.Fatalf("accepted entityID %q", m.EntityID)
		}
		if len(m.Certificates) == 0 || len(m.SingleSignOnURLs) == 0 {
			t.Fatalf("accepted a document without certificates or SSO URL: %+v", m)
		}
		if bytes.Contains(bytes.ToUpper(doc), []byte("<!DOCTYPE")) {
			t.Fatalf("accepted a document with a DOCTYPE")
		}
		for _, c := range m.Certificates {
			if !trusted[c.Thumbprint] {
				t.Fatalf("accepted a document listing %s, which Graph does not list", c.Thumbprint)
			}
		}
	})
}

// corpusKeys is Graph's view of the committed corpus's service principal:
// the certificates of its "rollover" seed (an Entra-shaped document that
// lists both of the corpus's certificates). Forged seeds use other keys.
func corpusKeys(tb testing.TB) *domain.ServicePrincipalKeys {
	tb.Helper()
	doc := readSeed(tb, "rollover")
	k := &domain.ServicePrincipalKeys{ServicePrincipalID: "corpus"}
	for _, m := range regexp.MustCompile(`<X509Certificate>([^<]+)</X509Certificate>`).FindAllStringSubmatch(doc, -1) {
		der, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			tb.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			tb.Fatal(err)
		}
		tp := fedmeta.CertificateFactsOf(c).Thumbprint
		k.Keys = append(k.Keys, domain.SigningKey{Thumbprint: tp, Usage: "Verify", Type: "AsymmetricX509Cert"})
	}
	return k
}

// readSeed returns a committed seed's document.
func readSeed(tb testing.TB, name string) string {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParse", name))
	if err != nil {
		tb.Fatal(err)
	}
	lit := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(string(raw), "\n", 2)[1], "[]byte("), ")\n")
	doc, err := strconv.Unquote(lit)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return doc
}

// TestWriteFuzzCorpus regenerates the committed seed corpus when
// FEDMETA_WRITE_CORPUS=1: Entra-shaped signed documents (valid 2026–2036)
// and hostile variants of them.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("FEDMETA_WRITE_CORPUS") != "1" {
		t.Skip("set FEDMETA_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzParse")
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c1 := fedmetatest.NewCert(fedmetatest.DefaultSubject, start, start.AddDate(3, 0, 0))
	c2 := fedmetatest.NewCert(fedmetatest.DefaultSubject, start, start.AddDate(10, 0, 0))
	valid := fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1}}.MustBytes()
	body := bytes.TrimPrefix(valid, []byte{0xEF, 0xBB, 0xBF})
	decl := bytes.Index(body, []byte("?>")) + 2
	evil := fedmetatest.NewAttackerCert(fedmetatest.DefaultSubject, start, start.AddDate(3, 0, 0))
	noKeyInfo := regexp.MustCompile(`<KeyInfo><X509Data><X509Certificate>[^<]*</X509Certificate></X509Data></KeyInfo>(</Signature>)`)
	nest := append(bytes.Repeat([]byte("<a>"), 100), bytes.Repeat([]byte("</a>"), 100)...)
	seeds := map[string][]byte{
		"valid":           valid,
		"rollover":        fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1, c2}, Signer: c2}.MustBytes(),
		"unsigned":        fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1}, Unsigned: true}.MustBytes(),
		"no-sso":          fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1}, SSOLocation: "-"}.MustBytes(),
		"wrong-entity-id": fedmetatest.Doc{Tenant: tenant, EntityID: "https://sts.windows.net/common/", Certs: []*fedmetatest.Cert{c1}}.MustBytes(),
		"billion-laughs":  append(append(append([]byte{}, body[:decl]...), `<!DOCTYPE l [<!ENTITY l "l"><!ENTITY l2 "&l;&l;&l;">]>`...), body[decl:]...),
		"truncated":       valid[:len(valid)*2/3],
		"tampered":        bytes.Replace(valid, []byte("/saml2"), []byte("/saml3"), 1),
		// Forgeries: an attacker's own key, certificate and SSO URL.
		"forged":            fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{evil}, SSOLocation: "https://login.attacker.example/saml2"}.MustBytes(),
		"forged-listing":    fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1, evil}, Signer: c1}.MustBytes(),
		"forged-no-keyinfo": noKeyInfo.ReplaceAll(fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{evil}}.MustBytes(), []byte("$1")),
		"deep-nesting":      bytes.Replace(valid, []byte("</EntityDescriptor>"), append(nest, "</EntityDescriptor>"...), 1),
		"huge-attribute":    bytes.Replace(valid, []byte("entityID="), []byte(`x="`+strings.Repeat("A", 64<<10)+`" entityID=`), 1),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFuzzCorpusValidSeed keeps the corpus useful: its "valid" and
// "rollover" seeds must parse, so the fuzzer starts from accepted
// documents, and its forged seeds must be refused by the trust rule.
func TestFuzzCorpusValidSeed(t *testing.T) {
	keys := corpusKeys(t)
	for _, name := range []string{"valid", "rollover"} {
		if _, err := fedmeta.Parse([]byte(readSeed(t, name)), fedmeta.Options{Tenant: tenant, Now: fuzzNow, Keys: keys}); err != nil {
			t.Fatalf("seed %s refused: %v", name, err)
		}
	}
	for name, want := range map[string]fedmeta.Problem{
		"forged": fedmeta.ProblemUntrustedSigner, "forged-listing": fedmeta.ProblemUntrustedCertificate,
		"forged-no-keyinfo": fedmeta.ProblemUntrustedSigner, "deep-nesting": fedmeta.ProblemMalformed,
		"huge-attribute": fedmeta.ProblemSignature,
	} {
		_, err := fedmeta.Parse([]byte(readSeed(t, name)), fedmeta.Options{Tenant: tenant, Now: fuzzNow, Keys: keys})
		if got := fedmeta.ProblemOf(err); got != want {
			t.Errorf("seed %s: problem %q (%v), want %q", name, got, err, want)
		}
	}
}
