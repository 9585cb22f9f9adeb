package diagnose

import (
	"fmt"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// text writes the short comment a help-desk agent pastes into the ticket.
func text(d *Diagnosis) string {
	var b strings.Builder
	ref := ""
	if d.Ticket != "" {
		ref = " (" + d.Ticket + ")"
	}
	switch d.Verdict {
	case VerdictOK:
		fmt.Fprintf(&b, "Aircall SSO check for %s%s: nothing in Entra ID stops this sign-in.\n", d.User, ref)
	case VerdictAtRisk:
		fmt.Fprintf(&b, "Aircall SSO check for %s%s: sign-in works only if the person's Aircall email is exactly the value below.\n", d.User, ref)
	case VerdictBlocked:
		fmt.Fprintf(&b, "Aircall SSO check for %s%s: sign-in fails.\n", d.User, ref)
	case VerdictNotFound:
		fmt.Fprintf(&b, "Aircall SSO check for %s%s: no such user in Entra ID.\n", d.User, ref)
	}
	if d.Facts.Exists {
		if d.Facts.EmailClaim == "" {
			fmt.Fprintf(&b, "Aircall receives no email claim (its source, %s, is empty for this user).\n", claimAttr(d.Facts.Claim.Source))
		} else {
			fmt.Fprintf(&b, "Aircall receives the email %q (emailaddress claim from %s%s).\n", d.Facts.EmailClaim, claimAttr(d.Facts.Claim.Source), origin(d.Facts.Claim.Origin))
		}
	}
	if line := aircallLine(d); line != "" {
		b.WriteString(line + "\n")
	}
	n := 0
	for _, f := range d.Findings {
		if f.Severity == domain.SeverityInfo && d.Verdict != VerdictOK {
			continue
		}
		n++
		fmt.Fprintf(&b, "%d. %s\n   Fix: %s\n", n, f.Summary, f.Remedy)
	}
	if d.Verdict == VerdictOK {
		b.WriteString("If Aircall still says \"Authentication has failed\", the person's Aircall user must have exactly the email above; change it in Aircall.\n")
	}
	if d.Verdict == VerdictOK || d.Verdict == VerdictAtRisk {
		// Aircall refuses IdP-initiated SAML sign-in (docs/aircall.md): the
		// My Apps tile is hidden or opens Aircall's sign-on URL (docs/security.md).
		b.WriteString("Sign in from Aircall with \"Sign in with SSO\"; starting from the My Apps tile (IdP-initiated) fails.\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func claimAttr(s domain.ClaimSource) string {
	if s == domain.ClaimFromUPN {
		return "user.userprincipalname"
	}
	return "user.mail"
}

func origin(o string) string {
	switch o {
	case domain.ClaimOriginMappingPolicy:
		return ", set by a claims mapping policy that overrides the portal's Attributes & Claims"
	case domain.ClaimOriginDefault:
		return ", Entra ID's default"
	}
	return ""
}
