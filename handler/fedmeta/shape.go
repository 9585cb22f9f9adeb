package fedmeta

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"net/url"
	"strings"
)

// The XML shapes read from a document. Only what is checked is declared.
type (
	xEntityDescriptor struct {
		XMLName   xml.Name          `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
		ID        string            `xml:"ID,attr"`
		EntityID  string            `xml:"entityID,attr"`
		Signature []xSignature      `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
		IDPs      []xIDPSSO         `xml:"urn:oasis:names:tc:SAML:2.0:metadata IDPSSODescriptor"`
		Roles     []xRoleDescriptor `xml:"urn:oasis:names:tc:SAML:2.0:metadata RoleDescriptor"`
	}
	xSignature struct {
		KeyInfo *xKeyInfo `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo"`
	}
	xKeyInfo struct {
		X509Data []struct {
			Certificates []string `xml:"http://www.w3.org/2000/09/xmldsig# X509Certificate"`
		} `xml:"http://www.w3.org/2000/09/xmldsig# X509Data"`
	}
	xKeyDescriptor struct {
		Use     string    `xml:"use,attr"`
		KeyInfo *xKeyInfo `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo"`
	}
	xEndpoint struct {
		Binding  string `xml:"Binding,attr"`
		Location string `xml:"Location,attr"`
	}
	xIDPSSO struct {
		Protocols string           `xml:"protocolSupportEnumeration,attr"`
		Keys      []xKeyDescriptor `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
		SLO       []xEndpoint      `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleLogoutService"`
		SSO       []xEndpoint      `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleSignOnService"`
	}
	xRoleDescriptor struct {
		Keys []xKeyDescriptor `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
	}
)

// checked is a structurally valid document's facts and parsed certificates
// (certs[i] belongs to meta.Certificates[i]).
type checked struct {
	meta  Metadata
	certs []*x509.Certificate
}

// check applies the structural rules and extracts the facts.
func (ed *xEntityDescriptor) check(tenant string) (*checked, error) {
	want := EntityIDFor(tenant)
	if !strings.EqualFold(ed.EntityID, want) {
		return nil, refuse(ProblemEntityID, nil,
			"entityID is %q, want %q: the document belongs to another tenant; check ENTRA_TENANT_ID and LOGIN_AUTHORITY", ed.EntityID, want)
	}
	var idp *xIDPSSO
	for i := range ed.IDPs {
		if hasProtocol(ed.IDPs[i].Protocols, ProtocolSAML2) {
			idp = &ed.IDPs[i]
			break
		}
	}
	if idp == nil {
		return nil, refuse(ProblemNoIDP, nil, "no IDPSSODescriptor supports the SAML 2.0 protocol (%s): the document is not SAML metadata for Aircall", ProtocolSAML2)
	}
	c := &checked{meta: Metadata{EntityID: ed.EntityID, SingleSignOnURLs: map[string]string{}, SingleLogoutURLs: map[string]string{}}}
	for _, e := range idp.SSO {
		if usableURL(e.Location) {
			c.meta.SingleSignOnURLs[e.Binding] = e.Location
		}
	}
	if len(c.meta.SingleSignOnURLs) == 0 {
		return nil, refuse(ProblemNoSSO, nil, "the IDPSSODescriptor has no SingleSignOnService with an https Location: Aircall would have nowhere to send users")
	}
	for _, e := range idp.SLO {
		if usableURL(e.Location) {
			c.meta.SingleLogoutURLs[e.Binding] = e.Location
		}
	}
	seen := map[string]bool{}
	for _, kd := range idp.Keys {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, b64 := range kd.KeyInfo.certificates() {
			cert, err := parseCert(b64)
			if err != nil {
				return nil, err
			}
			tp := thumbprint(cert)
			if seen[tp] {
				continue
			}
			seen[tp] = true
			c.certs = append(c.certs, cert)
			c.meta.Certificates = append(c.meta.Certificates, CertificateFactsOf(cert))
		}
	}
	if len(c.certs) == 0 {
		return nil, refuse(ProblemNoCertificate, nil, "the IDPSSODescriptor lists no signing certificate: the app has no active SAML signing certificate (run provision, or add one in the portal)")
	}
	return c, nil
}

// keyInfoCert returns the certificate the signature names in its KeyInfo
// (the first, as goxmldsig uses), nil when it names none. The signature
// must be the root's own child, and only one. The certificate is a claim of
// the document: trust.go decides whether it may sign.
func (ed *xEntityDescriptor) keyInfoCert() (*x509.Certificate, error) {
	if len(ed.Signature) == 0 {
		return nil, refuse(ProblemUnsigned, nil, "the document carries no XML signature over its root element")
	}
	if len(ed.Signature) > 1 {
		return nil, refuse(ProblemSignature, nil, "the root element carries %d signatures, want one", len(ed.Signature))
	}
	ki := ed.Signature[0].KeyInfo.certificates()
	if len(ki) == 0 {
		return nil, nil
	}
	return parseCert(ki[0])
}

func (ki *xKeyInfo) certificates() []string {
	if ki == nil {
		return nil
	}
	var out []string
	for _, d := range ki.X509Data {
		out = append(out, d.Certificates...)
	}
	return out
}

func parseCert(b64 string) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		return nil, refuse(ProblemBadCert, err, "an X509Certificate is not valid base64")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, refuse(ProblemBadCert, err, "an X509Certificate does not parse as a DER certificate")
	}
	return cert, nil
}

func hasProtocol(enum, p string) bool {
	for _, f := range strings.Fields(enum) {
		if f == p {
			return true
		}
	}
	return false
}

// usableURL accepts absolute https URLs, and http on loopback (the local
// simulator).
func usableURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	return u.Scheme == "https" || (u.Scheme == "http" && (h == "127.0.0.1" || h == "localhost" || h == "::1"))
}
