package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
)

func TestAircallRules(t *testing.T) {
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	idx := rules.NewAircallIndex([]domain.AircallUser{
		{ID: 1, Email: " Ann.Smith@Contoso.com "}, {ID: 2, Email: "bo@contoso.com"}, {ID: 3, Email: "cy.sales@contoso.com"},
	})
	user := func(upn, mail, proxies string) domain.User {
		return domain.User{ID: "id-" + upn, UserPrincipalName: upn, Mail: mail, AccountEnabled: true, ProxyAddresses: proxies}
	}
	tests := []struct {
		name  string
		u     domain.User
		src   domain.ClaimSource
		kind  domain.FindingKind
		fixes []string
	}{
		{"claim from UPN, Aircall has the mail", user("ann@contoso.com", "ann.smith@contoso.com", ""), domain.ClaimFromUPN,
			domain.FindingAircallEmailDiffers, []string{"change the Aircall user's email to ann@contoso.com", "CLAIM_SOURCE=mail"}},
		{"claim from mail, Aircall has the UPN", user("bo@contoso.com", "bo.b@contoso.com", ""), domain.ClaimFromMail,
			domain.FindingAircallEmailDiffers, []string{"change the Aircall user's email to bo.b@contoso.com", "CLAIM_SOURCE=userprincipalname"}},
		{"an alias, claim from UPN", user("cy@contoso.com", "cy@contoso.com", "SMTP:cy@contoso.com\nsmtp:cy.sales@contoso.com"), domain.ClaimFromUPN,
			domain.FindingAircallEmailDiffers, []string{"change the person's userPrincipalName to cy.sales@contoso.com"}},
		{"an alias, claim from mail", user("cy@contoso.com", "cy@contoso.com", "smtp:cy.sales@contoso.com"), domain.ClaimFromMail,
			domain.FindingAircallEmailDiffers, []string{"set the person's mail to cy.sales@contoso.com"}},
		{"a non-SMTP proxy address is no alias", user("dee@contoso.com", "dee@contoso.com", "X500:cy.sales@contoso.com\nsip:cy.sales@contoso.com"), domain.ClaimFromUPN,
			domain.FindingAircallUserMissing, []string{"create their Aircall user with the email dee@contoso.com"}},
		{"letter case and spaces do not matter", user("ANN.SMITH@contoso.com", "", ""), domain.ClaimFromUPN, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claim := tt.u.EmailClaim(tt.src)
			fs := rules.Aircall(tt.u, tt.src, claim, rules.MatchAircall(tt.u, claim, idx), idx, now)
			if tt.kind == "" {
				if len(fs) != 0 {
					t.Fatalf("findings %+v, want none", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Kind != tt.kind || fs[0].EmailClaim != claim {
				t.Fatalf("findings %+v, want one %s", fs, tt.kind)
			}
			for _, s := range tt.fixes {
				if !strings.Contains(fs[0].Remedy, s) {
					t.Errorf("remedy %q lacks %q", fs[0].Remedy, s)
				}
			}
		})
	}
	if rules.AircallApplies(user("x@contoso.com", "", ""), domain.AssignmentUnknown, "x@contoso.com") ||
		rules.AircallApplies(user("x@contoso.com", "", ""), domain.AssignmentNone, "x@contoso.com") {
		t.Error("the Aircall checks apply to someone who may not sign in")
	}
	f := rules.AircallNoEntraAccess(domain.AircallUser{ID: 9, Email: "Old@Fabrikam.com"}, now)
	if f.Key != "aircall-user/9" || f.State != "email=old@fabrikam.com" || f.Subject != "Old@Fabrikam.com" {
		t.Errorf("no-entra-access finding %+v", f)
	}
}

// FuzzMatchAircall: whatever Graph and Aircall hold, matching never panics,
// a claim match is a real one, and another match is never the claim value.
func FuzzMatchAircall(f *testing.F) {
	f.Add("ann@contoso.com", "ann.smith@contoso.com", "SMTP:ann.smith@contoso.com\nsmtp:ann@contoso.com", "Ann.Smith@contoso.com")
	f.Add("dee_fabrikam.com#EXT#@contoso.onmicrosoft.com", "dee@fabrikam.com", "", "dee@fabrikam.com")
	f.Add("x@y", "", "smtp:\nSMTP:  \nsmtp", " ")
	f.Fuzz(func(t *testing.T, upn, mail, proxies, aircallEmail string) {
		u := domain.User{ID: "id", UserPrincipalName: upn, Mail: mail, AccountEnabled: true, ProxyAddresses: proxies}
		idx := rules.NewAircallIndex([]domain.AircallUser{{ID: 1, Email: aircallEmail}})
		for _, src := range []domain.ClaimSource{domain.ClaimFromUPN, domain.ClaimFromMail} {
			claim := u.EmailClaim(src)
			m := rules.MatchAircall(u, claim, idx)
			if m.Claim >= 0 && !domain.SameAddress(claim, aircallEmail) {
				t.Fatalf("claim %q matched Aircall email %q", claim, aircallEmail)
			}
			if m.Other >= 0 && (domain.SameAddress(m.Address, claim) || !domain.SameAddress(m.Address, aircallEmail)) {
				t.Fatalf("other match %+v for claim %q, Aircall email %q", m, claim, aircallEmail)
			}
			if rules.AircallApplies(u, domain.AssignmentDirect, claim) {
				_ = rules.Aircall(u, src, claim, m, idx, time.Time{})
			}
		}
	})
}
