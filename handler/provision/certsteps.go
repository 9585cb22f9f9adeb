package provision

import (
	"fmt"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// The signing-certificate steps of the plan: add a certificate when the
// active one is missing or expires within CertRotateBefore, then make it the
// preferred one.

// certSteps plans the signing certificate: nothing when the active one is
// valid beyond the rotation threshold; "activate" when another such one
// exists; otherwise "add" then "activate".
func certSteps(d Desired, app *domain.App, now time.Time) []Step {
	horizon := now.Add(d.CertRotateBefore)
	var active, best *domain.SigningCertificate
	for i := range app.Certificates {
		c := &app.Certificates[i]
		if strings.EqualFold(c.Thumbprint, app.PreferredThumbprint) {
			active = c
		}
		if c.NotAfter.After(horizon) && (best == nil || c.NotAfter.After(best.NotAfter)) {
			best = c
		}
	}
	if active != nil && active.NotAfter.After(horizon) {
		return nil
	}
	before := "none"
	switch {
	case active != nil:
		before = fmt.Sprintf("%s (expires %s)", active.Thumbprint, active.NotAfter.UTC().Format("2006-01-02"))
	case app.PreferredThumbprint != "":
		before = app.PreferredThumbprint + " (not found on the service principal)"
	}
	if best != nil {
		return []Step{{Kind: StepActivateCertificate, Target: "servicePrincipal", Setting: "preferredTokenSigningKeyThumbprint",
			Before: before, After: fmt.Sprintf("%s (expires %s)", best.Thumbprint, best.NotAfter.UTC().Format("2006-01-02")),
			Thumbprint: best.Thumbprint, Permission: Permissions[StepActivateCertificate]}}
	}
	until := now.Add(d.CertLifetime).UTC().Format("2006-01-02")
	return []Step{
		{Kind: StepAddCertificate, Target: "servicePrincipal", Setting: "addTokenSigningCertificate",
			Before: certList(app.Certificates, now), After: "new certificate " + CertSubject(d.DisplayName) + " valid until " + until},
		{Kind: StepActivateCertificate, Target: "servicePrincipal", Setting: "preferredTokenSigningKeyThumbprint",
			Before: before, After: "the new certificate (valid until " + until + ")"},
	}
}

// CertSubject is the subject of the signing certificates provision creates.
func CertSubject(displayName string) string {
	var b strings.Builder
	for _, r := range displayName {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" -_.@", r):
			b.WriteRune(r)
		}
	}
	s := strings.TrimSpace(b.String())
	if s == "" {
		s = DefaultDisplayName
	}
	return "CN=" + s
}

func certList(cs []domain.SigningCertificate, now time.Time) string {
	if len(cs) == 0 {
		return "no signing certificate"
	}
	var parts []string
	for _, c := range cs {
		state := "expires"
		if !c.NotAfter.After(now) {
			state = "expired"
		}
		parts = append(parts, fmt.Sprintf("%s (%s %s)", c.Thumbprint, state, c.NotAfter.UTC().Format("2006-01-02")))
	}
	return strings.Join(parts, ", ")
}
