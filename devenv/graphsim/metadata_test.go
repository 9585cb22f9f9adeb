package graphsim_test

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
)

// fetchMetadata GETs the app's metadata and returns the signing
// certificates of the IDPSSODescriptor and the certificate whose key
// verified the document's signature.
func fetchMetadata(t *testing.T, url string) (certs []*x509.Certificate, signer *x509.Certificate, doc *etree.Document) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("metadata: %d %s", res.StatusCode, raw)
	}
	if !bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}) {
		t.Errorf("no UTF-8 BOM")
	}
	doc = etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(raw, []byte{0xEF, 0xBB, 0xBF})); err != nil {
		t.Fatal(err)
	}
	for _, el := range doc.FindElements("//IDPSSODescriptor/KeyDescriptor[@use='signing']/KeyInfo/X509Data/X509Certificate") {
		der, err := base64.StdEncoding.DecodeString(el.Text())
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	for _, c := range certs {
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		if _, err := ctx.Validate(doc.Root()); err == nil {
			signer = c
		}
	}
	return certs, signer, doc
}

func thumb(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

func TestFederationMetadataSignedAndRotated(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 1, Mix: graphsim.Mix{App: true}})
	ten := srv.Tenant()
	app := ten.Apps()[0]
	certs, signer, doc := fetchMetadata(t, srv.MetadataURL(app.AppID))
	root := doc.Root()
	if root.Tag != "EntityDescriptor" || root.SelectAttrValue("entityID", "") != "https://sts.windows.net/"+srv.TenantID()+"/" {
		t.Fatalf("root %s entityID %q", root.Tag, root.SelectAttrValue("entityID", ""))
	}
	if root.ChildElements()[0].Tag != "Signature" {
		t.Errorf("Signature is not the root's first child")
	}
	if len(certs) != 1 || signer == nil || thumb(signer) != thumb(certs[0]) {
		t.Fatalf("want one certificate that signed the document; got %d, signer %v", len(certs), signer != nil)
	}
	sso := doc.FindElements("//IDPSSODescriptor/SingleSignOnService")
	if len(sso) != 2 || sso[0].SelectAttrValue("Location", "") != srv.URL()+"/"+srv.TenantID()+"/saml2" {
		t.Errorf("SingleSignOnService: %d elements", len(sso))
	}
	if n := len(doc.FindElements("//RoleDescriptor/KeyDescriptor[@use='signing']")); n != 2 {
		t.Errorf("%d signing keys in the RoleDescriptors, want 2", n)
	}

	// The project's own parser (issue 5) accepts the document.
	res, err := http.Get(srv.MetadataURL(app.AppID))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	keys := &domain.ServicePrincipalKeys{ServicePrincipalID: app.SPID, PreferredThumbprint: thumb(signer),
		Keys: []domain.SigningKey{{Thumbprint: thumb(signer), Usage: "Verify", Type: "AsymmetricX509Cert"}}}
	if md, err := fedmeta.Parse(raw, fedmeta.Options{Tenant: srv.TenantID(), Keys: keys}); err != nil || len(md.Certificates) != 1 || !md.Certificates[0].SignsDocument {
		t.Fatalf("fedmeta.Parse refuses the simulator's metadata: %v", err)
	}

	newThumb, err := ten.RotateSigningCertificate(app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	certs, signer, _ = fetchMetadata(t, srv.MetadataURL(app.AppID))
	if len(certs) != 2 || thumb(certs[0]) != newThumb || signer == nil || thumb(signer) != newThumb {
		t.Fatalf("after rotation: %d certificates, first %s, want the new active %s first and signing", len(certs), thumb(certs[0]), newThumb)
	}
	for _, u := range []string{
		srv.URL() + "/" + srv.TenantID() + "/federationmetadata/2007-06/federationmetadata.xml?appid=00000000-0000-0000-0000-000000000001",
		srv.URL() + "/other-tenant/federationmetadata/2007-06/federationmetadata.xml?appid=" + app.AppID,
	} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("%s: %d, want a 4xx", u, res.StatusCode)
		}
	}
}

// TestForgedMetadata: the forgery fault serves a self-consistent document
// signed with an attacker's key (their certificate in KeyInfo and in every
// KeyDescriptor, their SSO URL), or a redirect; nil heals.
func TestForgedMetadata(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 1, Mix: graphsim.Mix{App: true}})
	ten := srv.Tenant()
	app := ten.Apps()[0]
	genuine, _, _ := fetchMetadata(t, srv.MetadataURL(app.AppID))

	evil := ten.ForgeMetadata(&graphsim.MetadataForgery{})
	certs, signer, doc := fetchMetadata(t, srv.MetadataURL(app.AppID))
	if len(certs) != 1 || signer == nil || thumb(signer) != evil || thumb(certs[0]) == thumb(genuine[0]) {
		t.Fatalf("forgery: %d certificates, signer %v; want the attacker's %s alone, signing", len(certs), signer != nil, evil)
	}
	if ki := doc.FindElement("//Signature/KeyInfo/X509Data/X509Certificate"); ki == nil || ki.Text() != base64.StdEncoding.EncodeToString(signer.Raw) {
		t.Errorf("the signature's KeyInfo does not carry the attacker's certificate")
	}
	if sso := doc.FindElement("//IDPSSODescriptor/SingleSignOnService"); sso.SelectAttrValue("Location", "") != "https://login.attacker.example/"+srv.TenantID()+"/saml2" {
		t.Errorf("SSO URL %s", sso.SelectAttrValue("Location", ""))
	}

	ten.ForgeMetadata(&graphsim.MetadataForgery{RedirectTo: "http://localhost:1"})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.MetadataURL(app.AppID))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "http://localhost:1/"+srv.TenantID()+"/federationmetadata/") {
		t.Fatalf("redirect: %d %s", res.StatusCode, loc)
	}

	ten.ForgeMetadata(nil)
	if certs, _, _ := fetchMetadata(t, srv.MetadataURL(app.AppID)); thumb(certs[0]) != thumb(genuine[0]) {
		t.Fatalf("after the forgery stopped: %s, want the genuine %s", thumb(certs[0]), thumb(genuine[0]))
	}
}
