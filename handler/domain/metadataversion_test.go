package domain_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// TestVersionDigest: what matters changes the digest, what does not (the
// bytes' SHA-256, the fetch time, the order of certificates) does not.
func TestVersionDigest(t *testing.T) {
	base := func() domain.MetadataSnapshot {
		return domain.MetadataSnapshot{
			SHA256: "aa", EntityID: "https://sts.windows.net/t/",
			SingleSignOnURLs: map[string]string{"post": "https://login.microsoftonline.com/t/saml2", "redirect": "https://login.microsoftonline.com/t/saml2"},
			SingleLogoutURLs: map[string]string{"redirect": "https://login.microsoftonline.com/t/saml2"},
			Certificates: []domain.CertificateFacts{{Thumbprint: "A1", SHA256: "A256", SignsDocument: true},
				{Thumbprint: "B1", SHA256: "B256"}},
		}
	}
	d := base().VersionDigest()
	if len(d) != 64 {
		t.Fatalf("digest %q", d)
	}
	same := map[string]func(*domain.MetadataSnapshot){
		"other bytes": func(s *domain.MetadataSnapshot) { s.SHA256, s.Size, s.Name = "bb", 99, "x.xml" },
		"certificate order": func(s *domain.MetadataSnapshot) {
			s.Certificates[0], s.Certificates[1] = s.Certificates[1], s.Certificates[0]
		},
		"subject and dates": func(s *domain.MetadataSnapshot) { s.Certificates[1].Subject = "CN=x" },
	}
	for name, f := range same {
		s := base()
		f(&s)
		if s.VersionDigest() != d {
			t.Errorf("%s changed the digest", name)
		}
	}
	differ := map[string]func(*domain.MetadataSnapshot){
		"entityID":        func(s *domain.MetadataSnapshot) { s.EntityID = "https://sts.windows.net/u/" },
		"SSO URL":         func(s *domain.MetadataSnapshot) { s.SingleSignOnURLs["post"] = "https://evil.example/saml2" },
		"SLO URL removed": func(s *domain.MetadataSnapshot) { s.SingleLogoutURLs = nil },
		"a certificate":   func(s *domain.MetadataSnapshot) { s.Certificates = s.Certificates[:1] },
		"the signer": func(s *domain.MetadataSnapshot) {
			s.Certificates[0].SignsDocument, s.Certificates[1].SignsDocument = false, true
		},
		"binding moved": func(s *domain.MetadataSnapshot) {
			s.SingleSignOnURLs = map[string]string{"post": s.SingleSignOnURLs["post"]}
			s.SingleLogoutURLs["post"] = "https://login.microsoftonline.com/t/saml2"
		},
	}
	for name, f := range differ {
		s := base()
		f(&s)
		if s.VersionDigest() == d {
			t.Errorf("%s did not change the digest", name)
		}
	}
}
