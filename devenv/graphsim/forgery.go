package graphsim

import (
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

// MetadataForgery makes the federation metadata route answer as whoever
// sits between the handler and the sign-in authority could (a wrong
// LOGIN_AUTHORITY, an intercepting proxy): not a Graph behaviour, a fault
// for the tests and the demo that prove a forgery is refused
// (docs/metadata.md, "Trust").
type MetadataForgery struct {
	// SSOURL is the forgery's SingleSignOnService Location (default
	// https://login.attacker.example/{tenant}/saml2).
	SSOURL string
	// ListGenuine lists the app's genuine certificates too, beside the
	// attacker's, in the signed document.
	ListGenuine bool
	// RedirectTo, when set, answers 302 Found to RedirectTo followed by the
	// request's path and query instead of a document.
	RedirectTo string
}

// ForgeMetadata makes every later metadata download answer f: a document
// signed with an attacker's own key, with the attacker's certificate in the
// signature's KeyInfo and in every KeyDescriptor and the attacker's SSO
// URL — self-consistent, so only the trust rule can refuse it — or a
// redirect. nil serves Entra's document again. It returns the attacker's
// certificate thumbprint.
func (t *Tenant) ForgeMetadata(f *MetadataForgery) (attackerThumbprint string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f == nil {
		t.forgery = nil
		return ""
	}
	c := *f
	t.forgery = &c
	if t.attacker == nil {
		now := time.Now().UTC()
		a := fedmetatest.NewAttackerCert(fedmetatest.DefaultSubject, now.Add(-time.Hour), now.AddDate(3, 0, 0))
		sum := sha1.Sum(a.DER)
		t.attacker = &signingCert{der: a.DER, cert: a.Cert, key: a.Key, thumbprint: strings.ToUpper(hex.EncodeToString(sum[:])),
			displayName: "CN=" + fedmetatest.DefaultSubject, start: a.Cert.NotBefore, end: a.Cert.NotAfter}
	}
	return t.attacker.thumbprint
}

// forged answers a metadata download under a forgery.
func (s *Server) forged(w http.ResponseWriter, r *http.Request, f *MetadataForgery, genuine []*signingCert) {
	if f.RedirectTo != "" {
		http.Redirect(w, r, strings.TrimRight(f.RedirectTo, "/")+r.URL.RequestURI(), http.StatusFound)
		return
	}
	s.t.mu.Lock()
	attacker := s.t.attacker
	s.t.mu.Unlock()
	certs := []*signingCert{attacker}
	if f.ListGenuine {
		certs = append(certs, genuine...)
	}
	sso := f.SSOURL
	if sso == "" {
		sso = "https://login.attacker.example/" + s.t.id + "/saml2"
	}
	doc, err := buildMetadata(base(r), s.t.id, certs, attacker, sso)
	if err != nil {
		http.Error(w, "could not build the forged document", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(doc)
}
