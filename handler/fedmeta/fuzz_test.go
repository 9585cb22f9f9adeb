package fedmeta_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := fedmeta.Parse(doc, fedmeta.Options{Tenant: tenant, Now: fuzzNow})
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
	})
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
	seeds := map[string][]byte{
		"valid":           valid,
		"rollover":        fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1, c2}, Signer: c2}.MustBytes(),
		"unsigned":        fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1}, Unsigned: true}.MustBytes(),
		"no-sso":          fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{c1}, SSOLocation: "-"}.MustBytes(),
		"wrong-entity-id": fedmetatest.Doc{Tenant: tenant, EntityID: "https://sts.windows.net/common/", Certs: []*fedmetatest.Cert{c1}}.MustBytes(),
		"billion-laughs":  append(append(append([]byte{}, body[:decl]...), `<!DOCTYPE l [<!ENTITY l "l"><!ENTITY l2 "&l;&l;&l;">]>`...), body[decl:]...),
		"truncated":       valid[:len(valid)*2/3],
		"tampered":        bytes.Replace(valid, []byte("/saml2"), []byte("/saml3"), 1),
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
// "rollover" seeds must parse, so the fuzzer starts from accepted documents.
func TestFuzzCorpusValidSeed(t *testing.T) {
	for _, name := range []string{"valid", "rollover"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParse", name))
		if err != nil {
			t.Fatal(err)
		}
		lit := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(string(raw), "\n", 2)[1], "[]byte("), ")\n")
		doc, err := strconv.Unquote(lit)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := fedmeta.Parse([]byte(doc), fedmeta.Options{Tenant: tenant, Now: fuzzNow}); err != nil {
			t.Fatalf("seed %s refused: %v", name, err)
		}
	}
}
