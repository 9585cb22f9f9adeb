// Package fedmetatest builds Entra-shaped federation metadata documents,
// signed with goxmldsig, for tests: real RSA certificates, the element order
// and algorithms Entra uses (exclusive c14n, rsa-sha256, enveloped signature
// as the root's first child, a UTF-8 BOM). Test support only; the production
// binary never imports it.
package fedmetatest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// DefaultSubject is the subject of the certificates the portal generates.
const DefaultSubject = "Microsoft Azure Federated SSO Certificate"

// Cert is a signing certificate and its key.
type Cert struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
	DER  []byte
}

var (
	keyMu   sync.Mutex
	keyPool []*rsa.PrivateKey
)

// key returns a fresh 2048-bit RSA key; keys are reused across certificates
// of one test binary after the first few, to keep tests fast (certificates
// still differ, so do their thumbprints).
func key() *rsa.PrivateKey {
	keyMu.Lock()
	defer keyMu.Unlock()
	if len(keyPool) < 3 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keyPool = append(keyPool, k)
		return k
	}
	k := keyPool[0]
	keyPool = append(keyPool[1:], k)
	return k
}

// NewCert returns a self-signed certificate with subject CN=cn valid from
// notBefore to notAfter, as Entra's addTokenSigningCertificate creates.
func NewCert(cn string, notBefore, notAfter time.Time) *Cert {
	return newCert(key(), cn, notBefore, notAfter)
}

// NewAttackerCert is NewCert with a key of its own, never shared with
// another certificate: an attacker's signing certificate in forgery tests.
func NewAttackerCert(cn string, notBefore, notAfter time.Time) *Cert {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return newCert(k, cn, notBefore, notAfter)
}

func newCert(k *rsa.PrivateKey, cn string, notBefore, notAfter time.Time) *Cert {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return &Cert{Key: k, Cert: c, DER: der}
}

// Base64 returns the certificate as it appears in X509Certificate.
func (c *Cert) Base64() string { return base64.StdEncoding.EncodeToString(c.DER) }

// Doc describes a document to build. Zero values give Entra's shape.
type Doc struct {
	// Tenant is the directory id (entityID https://sts.windows.net/{Tenant}/).
	Tenant string
	// EntityID overrides the entityID.
	EntityID string
	// Certs are listed as signing certificates (KeyDescriptor use="signing").
	Certs []*Cert
	// Signer signs the document; nil means Certs[0].
	Signer *Cert
	// Unsigned leaves the signature out.
	Unsigned bool
	// SSOLocation overrides the SingleSignOnService Location; "-" drops the
	// SingleSignOnService elements.
	SSOLocation string
	// NoBOM leaves out the UTF-8 byte order mark.
	NoBOM bool
	// Edit changes the tree before it is signed.
	Edit func(root *etree.Element)
	// ID is the root's ID; default a fixed value.
	ID string
}

// Bytes builds and signs the document.
func (d Doc) Bytes() ([]byte, error) {
	id := d.ID
	if id == "" {
		id = "_5f6a2c1e-3b7d-4e8f-9a0b-1c2d3e4f5a6b"
	}
	entityID := d.EntityID
	if entityID == "" {
		entityID = "https://sts.windows.net/" + d.Tenant + "/"
	}
	base := "https://login.microsoftonline.com/" + d.Tenant
	root := etree.NewElement("EntityDescriptor")
	root.CreateAttr("xmlns", "urn:oasis:names:tc:SAML:2.0:metadata")
	root.CreateAttr("ID", id)
	root.CreateAttr("entityID", entityID)

	rd := root.CreateElement("RoleDescriptor")
	rd.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	rd.CreateAttr("xmlns:fed", "http://docs.oasis-open.org/wsfed/federation/200706")
	rd.CreateAttr("xsi:type", "fed:SecurityTokenServiceType")
	rd.CreateAttr("protocolSupportEnumeration", "http://docs.oasis-open.org/wsfed/federation/200706")
	addKeys(rd, d.Certs)
	pre := rd.CreateElement("fed:PassiveRequestorEndpoint")
	epr := pre.CreateElement("wsa:EndpointReference")
	epr.CreateAttr("xmlns:wsa", "http://www.w3.org/2005/08/addressing")
	epr.CreateElement("wsa:Address").SetText(base + "/wsfed")

	idp := root.CreateElement("IDPSSODescriptor")
	idp.CreateAttr("protocolSupportEnumeration", "urn:oasis:names:tc:SAML:2.0:protocol")
	addKeys(idp, d.Certs)
	slo := idp.CreateElement("SingleLogoutService")
	slo.CreateAttr("Binding", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")
	slo.CreateAttr("Location", base+"/saml2")
	if d.SSOLocation != "-" {
		loc := d.SSOLocation
		if loc == "" {
			loc = base + "/saml2"
		}
		for _, b := range []string{"HTTP-Redirect", "HTTP-POST"} {
			sso := idp.CreateElement("SingleSignOnService")
			sso.CreateAttr("Binding", "urn:oasis:names:tc:SAML:2.0:bindings:"+b)
			sso.CreateAttr("Location", loc)
		}
	}
	if d.Edit != nil {
		d.Edit(root)
	}

	out := root
	if !d.Unsigned {
		signer := d.Signer
		if signer == nil {
			if len(d.Certs) == 0 {
				return nil, fmt.Errorf("fedmetatest: no signer and no certificates")
			}
			signer = d.Certs[0]
		}
		signed, err := Sign(root, signer.Key, signer.DER)
		if err != nil {
			return nil, err
		}
		out = signed
	}
	return Serialize(out, !d.NoBOM)
}

// Sign returns root enveloped-signed with key as Entra signs federation
// metadata: exclusive c14n, rsa-sha256, the certificate der in KeyInfo and
// the Signature as the root's first child. It is the one XML-DSig signer of
// the tests and of the Graph simulator (devenv/graphsim).
func Sign(root *etree.Element, key *rsa.PrivateKey, der []byte) (*etree.Element, error) {
	ctx, err := dsig.NewSigningContext(key, [][]byte{der})
	if err != nil {
		return nil, fmt.Errorf("fedmetatest: sign: %w", err)
	}
	ctx.Prefix = ""
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(root)
	if err != nil {
		return nil, fmt.Errorf("fedmetatest: sign: %w", err)
	}
	// Entra puts the Signature first; goxmldsig appends it.
	n := len(signed.Child)
	signed.Child = append([]etree.Token{signed.Child[n-1]}, signed.Child[:n-1]...)
	return signed, nil
}

// Serialize writes root as a document with an XML declaration, after a
// UTF-8 byte order mark when bom (as Entra serves it).
func Serialize(root *etree.Element, bom bool) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	doc.SetRoot(root)
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	if bom {
		b = append([]byte{0xEF, 0xBB, 0xBF}, b...)
	}
	return b, nil
}

// MustBytes is Bytes that panics on error.
func (d Doc) MustBytes() []byte {
	b, err := d.Bytes()
	if err != nil {
		panic(err)
	}
	return b
}

func addKeys(parent *etree.Element, certs []*Cert) {
	for _, c := range certs {
		kd := parent.CreateElement("KeyDescriptor")
		kd.CreateAttr("use", "signing")
		ki := kd.CreateElement("KeyInfo")
		ki.CreateAttr("xmlns", "http://www.w3.org/2000/09/xmldsig#")
		ki.CreateElement("X509Data").CreateElement("X509Certificate").SetText(c.Base64())
	}
}
