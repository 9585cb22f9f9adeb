package fedmeta_test

import (
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

func snapshotOf(t *testing.T, d fedmetatest.Doc) domain.MetadataSnapshot {
	t.Helper()
	b := d.MustBytes()
	m, err := fedmeta.Parse(b, opts())
	if err != nil {
		t.Fatal(err)
	}
	return domain.MetadataSnapshot{SHA256: fedmeta.SHA256Hex(b), EntityID: m.EntityID,
		SingleSignOnURLs: m.SingleSignOnURLs, SingleLogoutURLs: m.SingleLogoutURLs, Certificates: m.Certificates}
}

func TestCompare(t *testing.T) {
	one := snapshotOf(t, fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}})
	rollover := snapshotOf(t, fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA, certB}, Signer: certA})
	switched := snapshotOf(t, fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA, certB}, Signer: certB})
	rotated := snapshotOf(t, fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certB}})
	moved := snapshotOf(t, fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, SSOLocation: "https://login.microsoftonline.us/" + tenant + "/saml2"})
	other := snapshotOf(t, fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{certA}, ID: "_other"})

	tp := func(cs []domain.CertificateFacts) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Thumbprint[:6])
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name           string
		before, after  domain.MetadataSnapshot
		added, removed string
		certsChanged   bool
		endpoints      int
		text           string
	}{
		{"same", one, one, "", "", false, 0, "no change"},
		{"same facts, other bytes", one, other, "", "", false, 0, "the document changed"},
		{"new certificate added (inactive)", one, rollover, tp(rollover.Certificates[1:]), "", true, 0, "+ certificate"},
		{"active certificate switched", rollover, switched, "", "", true, 0, "signing certificate in use"},
		{"rotation complete", one, rotated, tp(rotated.Certificates), tp(one.Certificates), true, 0, "- certificate"},
		{"SSO URL moved", one, moved, "", "", false, 2, "SingleSignOnService"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := fedmeta.Compare(tt.before, tt.after)
			if tp(d.Added) != tt.added || tp(d.Removed) != tt.removed {
				t.Errorf("added %q removed %q, want %q %q", tp(d.Added), tp(d.Removed), tt.added, tt.removed)
			}
			if d.CertificatesChanged() != tt.certsChanged {
				t.Errorf("CertificatesChanged=%v", d.CertificatesChanged())
			}
			if len(d.Endpoints) != tt.endpoints {
				t.Errorf("endpoint changes %+v, want %d", d.Endpoints, tt.endpoints)
			}
			if !strings.Contains(d.String(), tt.text) {
				t.Errorf("text %q does not contain %q", d.String(), tt.text)
			}
		})
	}
}
