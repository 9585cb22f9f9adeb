package fedmeta

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// MaxDocumentSize is the largest document accepted: 1 MiB. Entra's app
// metadata is a few kilobytes even with several certificates.
const MaxDocumentSize = 1 << 20

// maxDepth bounds element nesting: Entra's metadata is under 10 levels deep,
// so anything deeper is refused before the recursive passes (etree,
// canonicalization) see it.
const maxDepth = 64

// XML namespaces and protocol identifiers of SAML 2.0 metadata.
const (
	NamespaceMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"
	NamespaceDSig     = "http://www.w3.org/2000/09/xmldsig#"
	ProtocolSAML2     = "urn:oasis:names:tc:SAML:2.0:protocol"
)

// utf8BOM starts Entra's app-specific metadata.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// EntityIDFor returns the entityID Entra uses for tenant:
// https://sts.windows.net/{tenant}/.
func EntityIDFor(tenant string) string { return "https://sts.windows.net/" + tenant + "/" }

// Options says what a document must match.
type Options struct {
	// Tenant is the directory (tenant) id the document must belong to.
	Tenant string
	// Now is the time at which the signing certificate must be valid; zero
	// means time.Now().
	Now time.Time
	// Keys is what Microsoft Graph lists for the app's service principal:
	// the only trust anchors (trust.go). Required.
	Keys *domain.ServicePrincipalKeys
}

// Metadata is what a validated document says. Every field comes from the
// signed content only.
type Metadata struct {
	EntityID         string
	SingleSignOnURLs map[string]string
	SingleLogoutURLs map[string]string
	// Certificates are the distinct signing certificates of the
	// IDPSSODescriptor, in document order; the one that signed the document
	// has SignsDocument set.
	Certificates []domain.CertificateFacts
}

// Parse validates a federation metadata document and returns its facts. It
// refuses, with an EUPSTREAM error whose cause carries the Problem: documents
// over MaxDocumentSize, any DOCTYPE or other directive (so no DTD, no entity
// definitions), references to undefined entities, malformed or truncated
// XML, a root other than a SAML 2.0 EntityDescriptor, an entityID other than
// the tenant's, no IDPSSODescriptor supporting SAML 2.0, no
// SingleSignOnService URL, no signing certificate, and a missing or
// non-verifying enveloped signature. A leading UTF-8 BOM is ignored.
func Parse(doc []byte, o Options) (*Metadata, error) {
	if o.Tenant == "" {
		return nil, domain.Errorf(domain.EINTERNAL, "fedmeta: Parse needs the tenant id")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	if len(doc) > MaxDocumentSize {
		return nil, refuse(ProblemTooLarge, nil, "the document is %d bytes, over the %d-byte limit", len(doc), MaxDocumentSize)
	}
	doc = bytes.TrimPrefix(doc, utf8BOM)
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, refuse(ProblemEmpty, nil, "the document is empty: check the appid and the LOGIN_AUTHORITY setting")
	}
	if err := screen(doc); err != nil {
		return nil, err
	}

	// Structural checks on the raw document first, so that each defect gets
	// its own clear error rather than a generic signature failure.
	var raw xEntityDescriptor
	if err := xml.Unmarshal(doc, &raw); err != nil {
		return nil, refuse(ProblemNotMetadata, err, "the root element is not a SAML 2.0 md:EntityDescriptor")
	}
	facts, err := raw.check(o.Tenant)
	if err != nil {
		return nil, err
	}

	t, err := newTrust(o.Keys)
	if err != nil {
		return nil, err
	}
	keyInfo, err := raw.keyInfoCert()
	if err != nil {
		return nil, err
	}
	roots, err := t.candidates(keyInfo, facts.certs)
	if err != nil {
		return nil, err
	}
	if len(roots) == 1 {
		// The one certificate that can verify it (the KeyInfo one, or the
		// only trusted one listed): say plainly when it expired.
		if err := checkValidity(roots[0], now); err != nil {
			return nil, err
		}
	}

	// Verify the signature and take every fact from the signed content only,
	// never from the raw tree (signature wrapping).
	signed, signer, err := verify(doc, roots, now)
	if err != nil {
		return nil, err
	}
	var ed xEntityDescriptor
	if err := xml.Unmarshal(signed, &ed); err != nil {
		return nil, refuse(ProblemSignature, err, "the signed content does not decode")
	}
	sf, err := ed.check(o.Tenant)
	if err != nil {
		return nil, err
	}
	if err := t.checkListed(sf.certs); err != nil {
		return nil, err
	}
	for i := range sf.meta.Certificates {
		if sf.certs[i].Equal(signer) {
			sf.meta.Certificates[i].SignsDocument = true
		}
	}
	return &sf.meta, nil
}

// screen tokenizes the whole document with encoding/xml in strict mode: it
// refuses directives (DOCTYPE, ENTITY), undefined entity references,
// non-UTF-8 encodings, nesting deeper than maxDepth and malformed or
// truncated XML. encoding/xml never
// fetches or expands external entities; refusing any DOCTYPE makes the
// policy explicit and keeps entity tricks out of the later passes.
func screen(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return refuse(ProblemMalformed, err, "the document is not well-formed XML (truncated, an undefined entity or a non-UTF-8 encoding)")
		}
		switch t := tok.(type) {
		case xml.Directive:
			kind := strings.ToUpper(strings.Fields(string(t) + " x")[0])
			return refuse(ProblemDTD, nil,
				"the document contains a <!%s …> declaration; federation metadata never has a DTD or entity declarations, so it was not processed (possible XML entity attack or a proxy's error page)", kind)
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			if depth > maxDepth {
				return refuse(ProblemMalformed, nil, "the document nests elements deeper than %d levels; federation metadata is a few levels deep", maxDepth)
			}
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		return refuse(ProblemMalformed, nil, "the document is not well-formed XML: it must have exactly one root element")
	}
	return nil
}

// verify checks the enveloped signature of doc's root element with
// goxmldsig against each of roots in turn (only trusted certificates; with
// a KeyInfo certificate there is one) and returns the canonical signed
// content and the certificate that verified it.
func verify(doc []byte, roots []*x509.Certificate, now time.Time) ([]byte, *x509.Certificate, error) {
	tree := etree.NewDocument()
	if err := tree.ReadFromBytes(doc); err != nil {
		return nil, nil, refuse(ProblemMalformed, err, "the document is not well-formed XML")
	}
	root := tree.Root()
	if root == nil {
		return nil, nil, refuse(ProblemMalformed, nil, "the document has no root element")
	}
	var last error
	for _, cert := range roots {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.Clock = dsig.NewFakeClockAt(now)
		validated, err := vc.Validate(root)
		if errors.Is(err, dsig.ErrMissingSignature) {
			return nil, nil, refuse(ProblemUnsigned, err, "the document carries no XML signature over its root element")
		}
		if err != nil {
			last = err
			continue
		}
		out := etree.NewDocument()
		out.SetRoot(validated)
		b, err := out.WriteToBytes()
		if err != nil {
			return nil, nil, refuse(ProblemSignature, err, "the signed content cannot be re-encoded")
		}
		return b, cert, nil
	}
	return nil, nil, refuse(ProblemSignature, last, "the XML signature does not verify with the app's signing certificate: the document was altered after Entra signed it")
}

// checkValidity refuses a signing certificate outside its validity period.
func checkValidity(signer *x509.Certificate, now time.Time) error {
	if now.Before(signer.NotBefore) || now.After(signer.NotAfter) {
		return refuse(ProblemSignerExpired, nil,
			"the certificate that signs the metadata (thumbprint %s) is valid only from %s to %s: make a valid signing certificate active on the app",
			thumbprint(signer), signer.NotBefore.UTC().Format(time.RFC3339), signer.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// SHA256Hex returns the lower-case hex SHA-256 of doc: a snapshot's identity.
func SHA256Hex(doc []byte) string {
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// CertificateFactsOf returns the facts of one certificate.
func CertificateFactsOf(c *x509.Certificate) domain.CertificateFacts {
	s256 := sha256.Sum256(c.Raw)
	return domain.CertificateFacts{
		Thumbprint: thumbprint(c),
		SHA256:     strings.ToUpper(hex.EncodeToString(s256[:])),
		Subject:    c.Subject.String(),
		NotBefore:  c.NotBefore.UTC(),
		NotAfter:   c.NotAfter.UTC(),
	}
}

// thumbprint is the SHA-1 of the DER certificate in upper-case hex: the
// portal's "Thumbprint".
func thumbprint(c *x509.Certificate) string {
	s1 := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(s1[:]))
}

// String summarises the metadata for logs and the CLI: the entityID, the SSO
// URL and the certificates' thumbprints and expiry dates.
func (m *Metadata) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "entityID %s", m.EntityID)
	for _, c := range m.Certificates {
		fmt.Fprintf(&b, "; cert %s until %s", c.Thumbprint, c.NotAfter.Format("2006-01-02"))
	}
	return b.String()
}
