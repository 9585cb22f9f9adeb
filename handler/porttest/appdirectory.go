package porttest

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AppDirectoryHarness is one fresh tenant behind a domain.AppDirectory.
type AppDirectoryHarness struct {
	Dir domain.AppDirectory
	// Principal is the object id of a user in the tenant that can be assigned.
	Principal string
	// URIPolicy sets the tenant's identifier-URI policy ("off"; "default"
	// and "strict": refuse unless the app is exempt, as SAML apps are;
	// "custom": a tenant's own policy that exempts nothing, so it refuses
	// SAML apps too); nil skips the policy checks. Exemptions:
	// learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions.
	URIPolicy func(mode string)
}

var thumbprintRE = regexp.MustCompile(`^[0-9A-F]{40}$`)

// AppDirectory checks a domain.AppDirectory: find, instantiate, patches,
// signing certificates, the email claim, assignments, the identifier-URI
// policy and the error codes. newHarness must return a fresh, empty tenant.
func AppDirectory(t *testing.T, newHarness func(t *testing.T) AppDirectoryHarness) {
	ctx := context.Background()
	newApp := func(t *testing.T, h AppDirectoryHarness) domain.App {
		t.Helper()
		app, err := h.Dir.Instantiate(ctx, "Aircall conformance")
		if err != nil {
			t.Fatalf("instantiate: %v", err)
		}
		return app
	}

	t.Run("instantiate-find-patch", func(t *testing.T) {
		h := newHarness(t)
		if _, err := h.Dir.FindApp(ctx, domain.AppLookup{AppID: "00000000-1111-4222-8333-444444444444"}); !domain.IsCode(err, domain.ENOTFOUND) {
			t.Fatalf("find in an empty tenant: got %v, want ENOTFOUND", err)
		}
		app := newApp(t, h)
		if app.ObjectID == "" || app.AppID == "" || app.ServicePrincipalID == "" || !app.Managed() {
			t.Fatalf("instantiated app lacks ids or the managed tag: %+v", app)
		}
		if app.AssignableRoleID() == domain.DefaultAccessRoleID {
			t.Errorf("the non-gallery template's app has no assignable role: %+v", app.AppRoles)
		}
		if app.SSOMode != "" || len(app.IdentifierURIs) != 0 || len(app.RedirectURIs) != 0 || len(app.Certificates) != 0 {
			t.Errorf("a new app must start unconfigured: %+v", app)
		}
		got, err := h.Dir.FindApp(ctx, domain.AppLookup{AppID: app.AppID})
		if err != nil || got.ObjectID != app.ObjectID || got.ServicePrincipalID != app.ServicePrincipalID {
			t.Fatalf("find by appId: %v, %+v", err, got)
		}
		owners, err := h.Dir.Owners(ctx, app.ObjectID, app.ServicePrincipalID)
		if err != nil || len(owners.Application) != 1 || len(owners.ServicePrincipal) != 1 || owners.Application[0] != owners.ServicePrincipal[0] {
			t.Fatalf("the identity that instantiates owns both objects: %+v, %v", owners, err)
		}
		if err := h.Dir.AddOwner(ctx, app.ObjectID, app.ServicePrincipalID, owners.Application[0]); err != nil {
			t.Fatalf("adding an existing owner is a no-op: %v", err)
		}
		const operatorOwner = "e0000000-0000-4000-8000-0000000000e1"
		if err := h.Dir.AddOwner(ctx, app.ObjectID, app.ServicePrincipalID, operatorOwner); err != nil {
			t.Fatalf("add an owner: %v", err)
		}
		if o, err := h.Dir.Owners(ctx, app.ObjectID, app.ServicePrincipalID); err != nil || len(o.Application) != 2 || len(o.ServicePrincipal) != 2 {
			t.Fatalf("owners after adding one: %+v, %v", o, err)
		}
		if l, err := h.Dir.LookAlikes(ctx, app.AppID, "Aircall conformance"); err != nil || len(l) != 0 {
			t.Fatalf("look-alikes of the only app: %+v, %v", l, err)
		}
		if l, err := h.Dir.LookAlikes(ctx, "", "Aircall conformance"); err != nil || len(l) != 1 || l[0].AppID != strings.ToLower(app.AppID) {
			t.Fatalf("look-alikes when nothing is pinned: %+v, %v", l, err)
		}
		saml := domain.SSOModeSAML
		if err := h.Dir.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{SSOMode: &saml}); err != nil {
			t.Fatalf("patch SSO mode: %v", err)
		}
		if err := h.Dir.PatchApplication(ctx, app.ObjectID, domain.ApplicationPatch{IdentifierURIs: []string{domain.AircallEntityID}}); err != nil {
			t.Fatalf("patch identifier URI: %v", err)
		}
		if err := h.Dir.PatchApplication(ctx, app.ObjectID, domain.ApplicationPatch{RedirectURIs: []string{domain.AircallReplyURL}}); err != nil {
			t.Fatalf("patch reply URL: %v", err)
		}
		notAfter := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
		cert, err := h.Dir.AddSigningCertificate(ctx, app.ServicePrincipalID, "CN=Aircall conformance", notAfter)
		if err != nil {
			t.Fatalf("add signing certificate: %v", err)
		}
		if !thumbprintRE.MatchString(cert.Thumbprint) || cert.NotAfter.Sub(notAfter).Abs() > time.Minute {
			t.Fatalf("certificate %+v: want an upper-case SHA-1 thumbprint and NotAfter %s", cert, notAfter)
		}
		if err := h.Dir.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{PreferredThumbprint: &cert.Thumbprint}); err != nil {
			t.Fatalf("activate certificate: %v", err)
		}
		got, err = h.Dir.GetApp(ctx, app.ObjectID, app.ServicePrincipalID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SSOMode != saml || strings.Join(got.IdentifierURIs, ",") != domain.AircallEntityID || strings.Join(got.RedirectURIs, ",") != domain.AircallReplyURL {
			t.Errorf("patches not visible: %+v", got)
		}
		if got.PreferredThumbprint != cert.Thumbprint || len(got.Certificates) != 1 || got.Certificates[0].Thumbprint != cert.Thumbprint {
			t.Errorf("certificate not listed and active: preferred %q, certificates %+v, want %s", got.PreferredThumbprint, got.Certificates, cert.Thumbprint)
		}
		if !got.Managed() || got.DisplayName != "Aircall conformance" {
			t.Errorf("tags or display name lost: %+v", got)
		}
	})

	t.Run("email-claim", func(t *testing.T) {
		h := newHarness(t)
		app := newApp(t, h)
		st, err := h.Dir.EmailClaim(ctx, app.ServicePrincipalID)
		if err != nil || st.Source != domain.ClaimFromMail || st.Origin != domain.ClaimOriginDefault || st.PolicyID != "" {
			t.Fatalf("claim of a new app: %+v, %v; want user.mail by default", st, err)
		}
		set, err := h.Dir.SetEmailClaim(ctx, app.ServicePrincipalID, domain.ClaimFromUPN, "conformance upn", "")
		if err != nil || set.Source != domain.ClaimFromUPN || set.PolicyID == "" {
			t.Fatalf("set claim: %+v, %v", set, err)
		}
		again, err := h.Dir.SetEmailClaim(ctx, app.ServicePrincipalID, domain.ClaimFromUPN, "conformance upn", "")
		if err != nil || again.PolicyID != set.PolicyID {
			t.Fatalf("setting the same claim twice must reuse policy %s: %+v, %v", set.PolicyID, again, err)
		}
		st, err = h.Dir.EmailClaim(ctx, app.ServicePrincipalID)
		if err != nil || st.Source != domain.ClaimFromUPN || st.Origin != domain.ClaimOriginMappingPolicy || st.PolicyID != set.PolicyID {
			t.Fatalf("claim after set: %+v, %v", st, err)
		}
		mail, err := h.Dir.SetEmailClaim(ctx, app.ServicePrincipalID, domain.ClaimFromMail, "conformance mail", "")
		if err != nil || mail.PolicyID == set.PolicyID {
			t.Fatalf("switch to mail: %+v, %v", mail, err)
		}
		if st, _ = h.Dir.EmailClaim(ctx, app.ServicePrincipalID); st.Source != domain.ClaimFromMail || st.PolicyID != mail.PolicyID {
			t.Fatalf("claim after switching: %+v, want mail from policy %s", st, mail.PolicyID)
		}
		// Back to the UPN: the policy recorded in the pin is found again by
		// its id, not created anew (nor searched for in the tenant's list).
		back, err := h.Dir.SetEmailClaim(ctx, app.ServicePrincipalID, domain.ClaimFromUPN, "conformance upn", set.PolicyID)
		if err != nil || back.PolicyID != set.PolicyID {
			t.Fatalf("switch back with the known policy %s: %+v, %v", set.PolicyID, back, err)
		}
	})

	t.Run("assignments", func(t *testing.T) {
		h := newHarness(t)
		app := newApp(t, h)
		as, err := h.Dir.Assignments(ctx, app.ServicePrincipalID)
		if err != nil || len(as) != 0 {
			t.Fatalf("assignments of a new app: %+v, %v", as, err)
		}
		role := app.AssignableRoleID()
		a, err := h.Dir.Assign(ctx, app.ServicePrincipalID, h.Principal, role)
		if err != nil || !strings.EqualFold(a.PrincipalID, h.Principal) || !strings.EqualFold(a.AppRoleID, role) {
			t.Fatalf("assign: %+v, %v", a, err)
		}
		as, err = h.Dir.Assignments(ctx, app.ServicePrincipalID)
		if err != nil || len(as) != 1 || !strings.EqualFold(as[0].PrincipalID, h.Principal) {
			t.Fatalf("assignments after assign: %+v, %v", as, err)
		}
		_, err = h.Dir.Assign(ctx, app.ServicePrincipalID, "99999999-9999-4999-8999-999999999999", role)
		if !domain.IsCode(err, domain.EINVALID) {
			t.Fatalf("assign an unknown principal: got %v, want EINVALID", err)
		}
	})

	t.Run("not-found", func(t *testing.T) {
		h := newHarness(t)
		const id = "00000000-1111-4222-8333-444444444444"
		if _, err := h.Dir.GetApp(ctx, id, id); !domain.IsCode(err, domain.ENOTFOUND) {
			t.Errorf("get a missing app: got %v, want ENOTFOUND", err)
		}
		saml := domain.SSOModeSAML
		if err := h.Dir.PatchServicePrincipal(ctx, id, domain.ServicePrincipalPatch{SSOMode: &saml}); !domain.IsCode(err, domain.ENOTFOUND) {
			t.Errorf("patch a missing service principal: got %v, want ENOTFOUND", err)
		}
		if _, err := h.Dir.FindApp(ctx, domain.AppLookup{AppID: id}); !domain.IsCode(err, domain.ENOTFOUND) {
			t.Errorf("find a missing appId: got %v, want ENOTFOUND", err)
		}
	})

	t.Run("identifier-uri-policy", func(t *testing.T) {
		h := newHarness(t)
		if h.URIPolicy == nil {
			t.Skip("the harness cannot set the identifier-URI policy")
		}
		app := newApp(t, h)
		uris := domain.ApplicationPatch{IdentifierURIs: []string{domain.AircallEntityID}}
		refused := func(err error) bool {
			var r *domain.IdentifierURIRefusedError
			return domain.IsCode(err, domain.EUNPROCESSABLE) && errors.As(err, &r) && r.URI == domain.AircallEntityID
		}
		h.URIPolicy("default")
		if err := h.Dir.PatchApplication(ctx, app.ObjectID, uris); !refused(err) {
			t.Fatalf("default policy, no SAML mode: got %v, want EUNPROCESSABLE with IdentifierURIRefusedError", err)
		}
		saml := domain.SSOModeSAML
		if err := h.Dir.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{SSOMode: &saml}); err != nil {
			t.Fatal(err)
		}
		h.URIPolicy("custom")
		if err := h.Dir.PatchApplication(ctx, app.ObjectID, uris); !refused(err) {
			t.Fatalf("custom policy without exemptions: got %v, want EUNPROCESSABLE with IdentifierURIRefusedError", err)
		}
		h.URIPolicy("strict")
		if err := h.Dir.PatchApplication(ctx, app.ObjectID, uris); err != nil {
			t.Fatalf("strict (non-default URI) policy in SAML mode: %v (SAML apps are exempt)", err)
		}
		h.URIPolicy("default")
		if err := h.Dir.PatchApplication(ctx, app.ObjectID, uris); err != nil {
			t.Fatalf("default policy in SAML mode: %v", err)
		}
		if got, _ := h.Dir.GetApp(ctx, app.ObjectID, app.ServicePrincipalID); strings.Join(got.IdentifierURIs, ",") != domain.AircallEntityID {
			t.Fatalf("identifier URIs %v", got.IdentifierURIs)
		}
	})
}
