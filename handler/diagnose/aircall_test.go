package diagnose_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// aircallSnap is an Aircall company: ann was created with her mail (the
// seed's failure when the claim is the UPN), bob with his UPN in other
// letter case, fay's alias is someone's Aircall email.
func aircallSnap(t *testing.T) *inmem.AircallSnapshots {
	t.Helper()
	s := &inmem.AircallSnapshots{}
	_, err := s.SaveAircallUsers(context.Background(), &domain.AircallSnapshot{TakenAt: now.Add(-3 * time.Hour), FullAt: now.Add(-48 * time.Hour),
		Users: []domain.AircallUser{
			{ID: 11, Name: "Ann Smith", Email: "ann.smith@contoso.com"},
			{ID: 12, Name: "Bob", Email: "BOB@Contoso.com"},
			{ID: 13, Name: "Fay", Email: "fay.alias@contoso.com"},
		}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDiagnoseNamesAircallSide(t *testing.T) {
	dir := tenant(domain.ClaimFromUPN)
	dir.PutUser(domain.User{ID: "f", UserPrincipalName: "fay@contoso.com", Mail: "fay@contoso.com", AccountEnabled: true, UserType: "Member",
		ProxyAddresses: "SMTP:fay@contoso.com\nsmtp:fay.alias@contoso.com\nX500:/o=x"})
	dir.AssignUser("f")
	dir.PutUser(domain.User{ID: "g", UserPrincipalName: "gus@contoso.com", Mail: "gus@contoso.com", AccountEnabled: true, UserType: "Member"})
	dir.AssignUser("g")
	tests := []struct {
		user    string
		verdict diagnose.Verdict
		kind    domain.FindingKind
		text    []string
	}{
		{"ann@contoso.com", diagnose.VerdictBlocked, domain.FindingAircallEmailDiffers,
			[]string{`Aircall has no user with the email "ann@contoso.com", but user 11 has ann.smith@contoso.com (this person's mail`, "change that Aircall user's email to ann@contoso.com", "CLAIM_SOURCE=mail"}},
		{"bob@contoso.com", diagnose.VerdictOK, "", []string{`Aircall has a user with the email "bob@contoso.com" (user 12`, "Aircall's side matches"}},
		{"fay@contoso.com", diagnose.VerdictBlocked, domain.FindingAircallEmailDiffers, []string{"user 13 has fay.alias@contoso.com (this person's proxyAddresses"}},
		{"gus@contoso.com", diagnose.VerdictAtRisk, domain.FindingAircallUserMissing, []string{`Aircall has no user with the email "gus@contoso.com" nor any other address`}},
	}
	j := job(dir, inmem.NewEventSink())
	j.Aircall = aircallSnap(t)
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			d, err := j.Diagnose(context.Background(), diagnose.Request{User: tt.user, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if d.Verdict != tt.verdict || d.Facts.Aircall == nil || !d.Facts.Aircall.Checked {
				t.Fatalf("verdict %s, aircall %+v; want %s\n%s", d.Verdict, d.Facts.Aircall, tt.verdict, d.Text)
			}
			var kinds []domain.FindingKind
			for _, f := range d.Findings {
				if strings.HasPrefix(string(f.Kind), "aircall.") {
					kinds = append(kinds, f.Kind)
				}
			}
			if (tt.kind == "" && len(kinds) != 0) || (tt.kind != "" && (len(kinds) != 1 || kinds[0] != tt.kind)) {
				t.Errorf("Aircall findings %v, want %q", kinds, tt.kind)
			}
			for _, s := range tt.text {
				if !strings.Contains(d.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, d.Text)
				}
			}
		})
	}
}

func TestDiagnoseAircallOffOrNoSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap domain.AircallSnapshotStore
		want string
	}{
		{"off", nil, "the Aircall checks are off"},
		{"no snapshot yet", &inmem.AircallSnapshots{}, "no snapshot of Aircall's users yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := job(tenant(domain.ClaimFromUPN), inmem.NewEventSink())
			j.Aircall = tc.snap
			d, err := j.Diagnose(context.Background(), diagnose.Request{User: "bob@contoso.com", DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if d.Verdict != diagnose.VerdictOK || !strings.Contains(d.Text, "Aircall's side was not checked: "+tc.want) {
				t.Errorf("verdict %s, text:\n%s", d.Verdict, d.Text)
			}
		})
	}
}
