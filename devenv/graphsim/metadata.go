package graphsim

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

// metadataRoutes: the login authority's federation metadata of an app
// (not Graph: no faults, authentication or charge; latency applies).
func metadataRoutes() []route {
	return []route{
		{method: "GET", pattern: "/{tenant}/federationmetadata/2007-06/federationmetadata.xml", serve: (*Server).serveMetadata,
			doc: "learn.microsoft.com/entra/identity-platform/federation-metadata"},
	}
}

// serveMetadata delays by the configured latency, then serves the
// metadata.
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request, _ params) {
	if s.delay(r.Context()) {
		s.metadata(w, r)
	}
}

// metadata serves GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid=…:
// the app's federation metadata in Entra's shape (UTF-8 BOM,
// EntityDescriptor entityID https://sts.windows.net/{tid}/, the WS-Fed STS
// RoleDescriptor, the IDPSSODescriptor with SingleLogoutService and two
// SingleSignOnService at {authority}/{tid}/saml2), listing the service
// principal's signing certificates — the active one first, then the
// inactive ones — and enveloped-signed (exclusive c14n, rsa-sha256, the
// Signature as the root's first child) with the active certificate's key.
// The authority is the server itself (the URL the request came in on).
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(msg + "\n"))
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		fail(http.StatusMethodNotAllowed, "Only GET is supported.")
		return
	}
	tenant := strings.Trim(strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0], " ")
	t := s.t
	if !strings.EqualFold(tenant, t.id) && !strings.EqualFold(tenant, t.gen.domain) && !strings.EqualFold(tenant, t.gen.tenant) {
		fail(http.StatusBadRequest, "AADSTS90002: Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	}
	appID := r.URL.Query().Get("appid")
	if appID == "" {
		appID = r.URL.Query().Get("appId")
	}
	t.mu.Lock()
	sp := t.spByAppID(appID)
	if appID == "" || !visible(sp) {
		t.mu.Unlock()
		fail(http.StatusNotFound, "AADSTS700016: Application with identifier '"+appID+"' was not found in the directory '"+t.id+"'.")
		return
	}
	active := sp.activeCert()
	certs := slices.Clone(sp.certs)
	forgery := t.forgery
	t.mu.Unlock()
	if forgery != nil {
		s.forged(w, r, forgery, certs)
		return
	}
	if active == nil {
		fail(http.StatusNotFound, "AADSTS500032: The application '"+appID+"' has no signing certificate: add one (addTokenSigningCertificate) and make it active.")
		return
	}
	ordered := []*signingCert{active}
	for _, c := range certs {
		if c != active {
			ordered = append(ordered, c)
		}
	}
	doc, err := buildMetadata(base(r), t.id, ordered, active, "")
	if err != nil {
		s.log.Error("graphsim: build federation metadata", "err", err)
		fail(http.StatusInternalServerError, "could not build the metadata document")
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(doc)
	}
}

// buildMetadata builds and signs the document; sso, when set, replaces the
// SingleSignOnService Location (a forgery's).
func buildMetadata(authority, tid string, certs []*signingCert, signer *signingCert, sso string) ([]byte, error) {
	base := authority + "/" + tid
	if sso == "" {
		sso = base + "/saml2"
	}
	root := etree.NewElement("EntityDescriptor")
	root.CreateAttr("xmlns", "urn:oasis:names:tc:SAML:2.0:metadata")
	root.CreateAttr("ID", "_"+uuid.NewString())
	root.CreateAttr("entityID", "https://sts.windows.net/"+tid+"/")

	const fedNS = "http://docs.oasis-open.org/wsfed/federation/200706"
	role := func(typ string) *etree.Element {
		rd := root.CreateElement("RoleDescriptor")
		rd.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
		rd.CreateAttr("xmlns:fed", fedNS)
		rd.CreateAttr("xsi:type", typ)
		rd.CreateAttr("protocolSupportEnumeration", fedNS)
		addSigningKeys(rd, certs)
		return rd
	}
	endpoint := func(parent *etree.Element, name string) {
		e := parent.CreateElement(name)
		epr := e.CreateElement("wsa:EndpointReference")
		epr.CreateAttr("xmlns:wsa", "http://www.w3.org/2005/08/addressing")
		epr.CreateElement("wsa:Address").SetText(base + "/wsfed")
	}
	sts := role("fed:SecurityTokenServiceType")
	offered := sts.CreateElement("fed:ClaimTypesOffered")
	for _, ct := range []string{
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
	} {
		c := offered.CreateElement("auth:ClaimType")
		c.CreateAttr("xmlns:auth", "http://docs.oasis-open.org/wsfed/authorization/200706")
		c.CreateAttr("Uri", ct)
	}
	endpoint(sts, "fed:SecurityTokenServiceEndpoint")
	endpoint(sts, "fed:PassiveRequestorEndpoint")
	app := role("fed:ApplicationServiceType")
	scopes := app.CreateElement("fed:TargetScopes")
	epr := scopes.CreateElement("wsa:EndpointReference")
	epr.CreateAttr("xmlns:wsa", "http://www.w3.org/2005/08/addressing")
	epr.CreateElement("wsa:Address").SetText("https://sts.windows.net/" + tid + "/")
	endpoint(app, "fed:ApplicationServiceEndpoint")
	endpoint(app, "fed:PassiveRequestorEndpoint")

	idp := root.CreateElement("IDPSSODescriptor")
	idp.CreateAttr("protocolSupportEnumeration", "urn:oasis:names:tc:SAML:2.0:protocol")
	addSigningKeys(idp, certs)
	slo := idp.CreateElement("SingleLogoutService")
	slo.CreateAttr("Binding", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")
	slo.CreateAttr("Location", base+"/saml2")
	for _, b := range []string{"HTTP-Redirect", "HTTP-POST"} {
		e := idp.CreateElement("SingleSignOnService")
		e.CreateAttr("Binding", "urn:oasis:names:tc:SAML:2.0:bindings:"+b)
		e.CreateAttr("Location", sso)
	}

	signed, err := fedmetatest.Sign(root, signer.key, signer.der)
	if err != nil {
		return nil, err
	}
	return fedmetatest.Serialize(signed, true)
}

func addSigningKeys(parent *etree.Element, certs []*signingCert) {
	for _, c := range certs {
		kd := parent.CreateElement("KeyDescriptor")
		kd.CreateAttr("use", "signing")
		ki := kd.CreateElement("KeyInfo")
		ki.CreateAttr("xmlns", "http://www.w3.org/2000/09/xmldsig#")
		ki.CreateElement("X509Data").CreateElement("X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.der))
	}
}
