package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
)

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func member(upn, mail string) domain.User {
	return domain.User{ID: "id-" + upn, UserPrincipalName: upn, Mail: mail, AccountEnabled: true, UserType: "Member"}
}

// want is one expected finding: kind, severity and the claim value Aircall gets.
type want struct {
	kind  domain.FindingKind
	sev   domain.Severity
	claim string
}

func TestEvaluate(t *testing.T) {
	guest := domain.User{ID: "g1", UserPrincipalName: "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com", Mail: "bob@fabrikam.com", AccountEnabled: true, UserType: "Guest"}
	disabled := member("ann@contoso.com", "ann@contoso.com")
	disabled.AccountEnabled = false
	removed := member("gone@contoso.com", "other@contoso.com")
	removed.Removed = true
	everything := member("eve@contoso.com", "eve.smith@contoso.com")
	everything.AccountEnabled = false

	tests := []struct {
		name   string
		user   domain.User
		assign domain.AssignmentKind
		src    domain.ClaimSource
		want   []want
	}{
		{"same address, case and spaces differ", member("Ann@Contoso.com ", " ann@contoso.COM"), domain.AssignmentDirect, domain.ClaimFromUPN, nil},
		{"same address, claim from mail", member("ann@contoso.com", "ann@contoso.com"), domain.AssignmentGroup, domain.ClaimFromMail, nil},
		{"UPN differs from mail, claim from mail (the help article's failure)", member("ann@contoso.com", "ann.smith@contoso.com"), domain.AssignmentDirect, domain.ClaimFromMail,
			[]want{{domain.FindingUPNMismatch, domain.SeverityError, "ann.smith@contoso.com"}}},
		{"UPN differs from mail, claim from UPN", member("ann@contoso.com", "ann.smith@contoso.com"), domain.AssignmentDirect, domain.ClaimFromUPN,
			[]want{{domain.FindingUPNMismatch, domain.SeverityWarning, "ann@contoso.com"}}},
		{"no claim source configured means user.mail", member("ann@contoso.com", "ann.smith@contoso.com"), domain.AssignmentDirect, "",
			[]want{{domain.FindingUPNMismatch, domain.SeverityError, "ann.smith@contoso.com"}}},
		{"mail missing, claim from mail: no claim at all", member("joe@contoso.com", ""), domain.AssignmentDirect, domain.ClaimFromMail,
			[]want{{domain.FindingMailMissing, domain.SeverityError, ""}}},
		{"mail blank, claim from UPN: informational", member("joe@contoso.com", "  "), domain.AssignmentDirect, domain.ClaimFromUPN,
			[]want{{domain.FindingMailMissing, domain.SeverityInfo, "joe@contoso.com"}}},
		{"guest, claim from UPN: #EXT# sent, no separate mismatch", guest, domain.AssignmentDirect, domain.ClaimFromUPN,
			[]want{{domain.FindingGuestUPN, domain.SeverityError, "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com"}}},
		{"guest, claim from mail: fine", guest, domain.AssignmentDirect, domain.ClaimFromMail, nil},
		{"disabled", disabled, domain.AssignmentDirect, domain.ClaimFromUPN,
			[]want{{domain.FindingUserDisabled, domain.SeverityError, "ann@contoso.com"}}},
		{"not assigned", member("ann@contoso.com", "ann@contoso.com"), domain.AssignmentNone, domain.ClaimFromUPN,
			[]want{{domain.FindingUserNotAssigned, domain.SeverityError, "ann@contoso.com"}}},
		{"assignment unknown skips the rule", member("ann@contoso.com", "ann@contoso.com"), domain.AssignmentUnknown, domain.ClaimFromUPN, nil},
		{"removed by delta", removed, domain.AssignmentNone, domain.ClaimFromMail, nil},
		{"several problems, most fundamental first", everything, domain.AssignmentNone, domain.ClaimFromMail,
			[]want{
				{domain.FindingUserDisabled, domain.SeverityError, "eve.smith@contoso.com"},
				{domain.FindingUserNotAssigned, domain.SeverityError, "eve.smith@contoso.com"},
				{domain.FindingUPNMismatch, domain.SeverityError, "eve.smith@contoso.com"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules.Evaluate(tt.user, rules.Context{Assignment: tt.assign, ClaimSource: tt.src, Now: now})
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %v, want %d %v", len(got), kinds(got), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				f := got[i]
				if f.Kind != w.kind || f.Severity != w.sev || f.EmailClaim != w.claim {
					t.Errorf("finding %d = {%s %s claim %q}, want {%s %s claim %q}", i, f.Kind, f.Severity, f.EmailClaim, w.kind, w.sev, w.claim)
				}
				if f.Key != tt.user.ID || f.User == nil || f.User.UserPrincipalName != tt.user.UserPrincipalName {
					t.Errorf("finding %d: key %q user %v, want the user %s", i, f.Key, f.User, tt.user.ID)
				}
				if f.Subject != strings.TrimSpace(tt.user.UserPrincipalName) || f.Summary == "" || f.Remedy == "" || f.State == "" || !f.ObservedAt.Equal(now) {
					t.Errorf("finding %d incomplete: %+v", i, f)
				}
			}
		})
	}
}

// The help article's fix must be named in the remedy a person reads.
func TestMismatchRemedyNamesTheFix(t *testing.T) {
	got := rules.Evaluate(member("ann@contoso.com", "ann.smith@contoso.com"), rules.Context{ClaimSource: domain.ClaimFromMail})
	if len(got) != 1 || !strings.Contains(got[0].Remedy, "user.userprincipalname") || !strings.Contains(got[0].Summary, `"ann.smith@contoso.com"`) {
		t.Fatalf("remedy/summary do not tell what Aircall receives and the fix: %+v", got)
	}
}

// The same problem seen with different letter case is the same finding (same
// event id); a changed problem is a new one.
func TestFindingIdentity(t *testing.T) {
	c := rules.Context{ClaimSource: domain.ClaimFromMail, Now: now}
	a := rules.Evaluate(member("ann@contoso.com", "ann.smith@contoso.com"), c)[0]
	u := member("ann@contoso.com", "Ann.Smith@Contoso.com")
	b := rules.Evaluate(u, rules.Context{ClaimSource: domain.ClaimFromMail, Now: now.Add(time.Hour)})[0]
	if a.ID() != b.ID() {
		t.Errorf("same problem, different ids: %s vs %s", a.State, b.State)
	}
	c2 := rules.Evaluate(member("ann@contoso.com", "annie@contoso.com"), c)[0]
	if a.ID() == c2.ID() {
		t.Errorf("changed mail kept the same id: %s", c2.State)
	}
}

func TestNotFound(t *testing.T) {
	f := rules.NotFound(" Ghost@Contoso.com ", rules.Context{Now: now})
	if f.Kind != domain.FindingUserNotFound || f.Severity != domain.SeverityError || f.Key != "user:ghost@contoso.com" ||
		f.Subject != "Ghost@Contoso.com" || !strings.Contains(f.Summary, `"Ghost@Contoso.com"`) || f.User != nil {
		t.Fatalf("NotFound = %+v", f)
	}
}

func TestBlocking(t *testing.T) {
	info := rules.Evaluate(member("joe@contoso.com", ""), rules.Context{ClaimSource: domain.ClaimFromUPN})
	if rules.Blocking(info) || rules.Blocking(nil) {
		t.Error("info findings must not block")
	}
	warn := rules.Evaluate(member("ann@contoso.com", "a@contoso.com"), rules.Context{ClaimSource: domain.ClaimFromUPN})
	if !rules.Blocking(warn) {
		t.Error("a warning must block")
	}
}

func kinds(fs []domain.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Kind)+"/"+string(f.Severity))
	}
	return out
}
