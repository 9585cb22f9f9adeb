package servicebus_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

var update = flag.Bool("update", false, "rewrite the generated examples in docs/events.md")

const (
	docPath    = "../../docs/events.md"
	beginMark  = "<!-- BEGIN GENERATED EXAMPLES: go test ./handler/servicebus -run TestEventsDoc -update -->"
	endMark    = "<!-- END GENERATED EXAMPLES -->"
	exampleApp = "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"
)

// docExamples returns one finding per kind: user findings from the real rules,
// the others shaped like the jobs that emit them.
func docExamples(t *testing.T) []domain.Finding {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	user := func(id, upn, mail string) domain.User {
		return domain.User{ID: id, UserPrincipalName: upn, Mail: mail, DisplayName: "Ann Lee", AccountEnabled: true, UserType: "Member"}
	}
	ctx := rules.Context{ClaimSource: domain.ClaimFromMail, Assignment: domain.AssignmentDirect, Now: now}
	var out []domain.Finding
	pick := func(fs []domain.Finding, k domain.FindingKind) {
		for _, f := range fs {
			if f.Kind == k {
				out = append(out, f)
				return
			}
		}
		t.Fatalf("the rules produced no %s finding for the example", k)
	}
	pick(rules.Evaluate(user("6b1f0d3e-8c1a-4f6e-9a57-3e2d1c0b9a81", "ann.lee@contoso.onmicrosoft.com", "ann.lee@contoso.com"), ctx), domain.FindingUPNMismatch)
	pick(rules.Evaluate(user("2f4e6a8c-0b1d-4e3f-a5c7-9e1b3d5f7a90", "bo.chen@contoso.com", ""), ctx), domain.FindingMailMissing)
	pick(rules.Evaluate(user("7c9e1a3b-5d7f-4a2c-8e0b-1d3f5a7c9e20", "dana_fabrikam.com#EXT#@contoso.onmicrosoft.com", "dana@fabrikam.com"),
		rules.Context{ClaimSource: domain.ClaimFromUPN, Assignment: domain.AssignmentDirect, Now: now}), domain.FindingGuestUPN)
	disabled := user("9a1c3e5f-7b9d-4f1a-8c3e-5a7c9e1b3d40", "eve.moreau@contoso.com", "eve.moreau@contoso.com")
	disabled.AccountEnabled = false
	pick(rules.Evaluate(disabled, ctx), domain.FindingUserDisabled)
	pick(rules.Evaluate(user("1b3d5f7a-9c1e-4b3d-a5f7-9c1e3b5d7f60", "farid.haddad@contoso.com", "farid.haddad@contoso.com"),
		rules.Context{ClaimSource: domain.ClaimFromMail, Assignment: domain.AssignmentNone, Now: now}), domain.FindingUserNotAssigned)
	aircallUsers := rules.NewAircallIndex([]domain.AircallUser{
		{ID: 4101, Name: "Hana Ito", Email: "hana.ito@contoso.com", CreatedAt: now.Add(-90 * 24 * time.Hour)},
		{ID: 4102, Name: "Ole Berg", Email: "ole.berg@fabrikam.com", CreatedAt: now.Add(-400 * 24 * time.Hour)},
	})
	for _, u := range []domain.User{
		user("3d5f7a9c-1e3b-4d5f-a7c9-1e3b5d7f9a70", "hana.ito@contoso.onmicrosoft.com", "hana.ito@contoso.com"),
		user("5f7a9c1e-3b5d-4f7a-9c1e-3b5d7f9a1c80", "ivan.petrov@contoso.com", "ivan.petrov@contoso.com"),
	} {
		claim := u.EmailClaim(domain.ClaimFromUPN)
		out = append(out, rules.Aircall(u, domain.ClaimFromUPN, claim, rules.MatchAircall(u, claim, aircallUsers), aircallUsers, now)...)
	}
	out = append(out, rules.AircallNoEntraAccess(*aircallUsers.User(1), now))
	nf := rules.NotFound("gina.rossi@contoso.com", ctx)
	nf.Ticket = "ZD-4711"
	nf.Subject = "ticket/ZD-4711/user/gina.rossi@contoso.com"
	out = append(out, nf)
	out = append(out, domain.LookAlikeFindings([]domain.LookAlike{{AppID: "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f", DisplayName: "Aircall SAML SSO",
		Why: []string{"tag aircall-entra-sso:managed", "identifier URI urn:amazon:cognito:sp:us-west-2_hZkGBmIsz"}}}, exampleApp, now)...)
	out = append(out,
		domain.Finding{
			// As provision.Job.Drift words a Reply URL step (handler/provision/drift.go).
			Kind: domain.FindingAppDrift, Severity: domain.SeverityError, Key: "app/" + exampleApp + "/reply-url",
			State: "https://contoso.example/saml/consume", Subject: "aircall-app/" + exampleApp,
			Summary:    "The Aircall app's Reply URL is https://contoso.example/saml/consume, not " + domain.AircallReplyURL + ".",
			Remedy:     "Run provision (POST /api/provision with {\"dryRun\":false}, or `handler provision`) to apply: web.redirectUris → " + domain.AircallReplyURL + ".",
			Details:    map[string]any{"step": "reply-url", "target": "application", "setting": "web.redirectUris", "before": "https://contoso.example/saml/consume", "after": domain.AircallReplyURL},
			ObservedAt: now,
		},
		domain.Finding{
			Kind: domain.FindingCertExpiring, Severity: domain.SeverityWarning, Key: "3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665",
			State:      "threshold=30d;notAfter=2026-03-28T09:15:00Z",
			Subject:    "app/" + exampleApp + "/certificate/3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665",
			Summary:    "The SAML signing certificate 3C9F2B1A… of the Aircall app expires on 2026-03-28 (in 26 days).",
			Remedy:     "Add a new SAML signing certificate and make it active before this date (provision does it when the certificate is within CERT_ROTATE_BEFORE_DAYS), then send Aircall the new metadata.",
			Details:    map[string]any{"thumbprint": "3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665", "notAfter": "2026-03-28T09:15:00Z", "thresholdDays": 30, "daysLeft": 26, "signsDocument": true},
			ObservedAt: now,
		},
		domain.Finding{
			Kind: domain.FindingCertChanged, Severity: domain.SeverityWarning, Key: "tenant/" + exampleApp,
			State:      "certs=3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665,A1B2C3D4E5F60718293A4B5C6D7E8F9012345678;signer=3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665",
			Subject:    "app/" + exampleApp + "/federation-metadata",
			Summary:    "The Aircall app's signing certificates changed: added A1B2C3D4E5F6… (not yet active).",
			Remedy:     "Send Aircall the new Federation Metadata XML (GET /api/metadata?format=xml) unless they read it from the metadata URL; a certificate Aircall does not know makes every sign-in fail once it becomes active.",
			Details:    map[string]any{"added": []string{"A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"}, "removed": []string{}, "signer": "3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665"},
			ObservedAt: now,
		},
		domain.Finding{
			Kind: domain.FindingMetadataChanged, Severity: domain.SeverityWarning, Key: "tenant/" + exampleApp,
			State:      "entityId=https://sts.windows.net/72f988bf-0000-0000-0000-000000000000/;sso=https://login.microsoftonline.com/72f988bf-0000-0000-0000-000000000000/saml2",
			Subject:    "app/" + exampleApp + "/federation-metadata",
			Summary:    "The Aircall app's SAML endpoints changed: single sign-on URL https://login.microsoftonline.com/…/saml2 added.",
			Remedy:     "Send Aircall the new Federation Metadata XML (GET /api/metadata?format=xml) so their SSO configuration points at the new endpoints.",
			Details:    map[string]any{"entityId": "https://sts.windows.net/72f988bf-0000-0000-0000-000000000000/"},
			ObservedAt: now,
		},
		domain.Finding{
			// As archive.Job words a forged document (handler/archive/archive.go, fedmeta/trust.go).
			Kind: domain.FindingMetadataInvalid, Severity: domain.SeverityError, Key: "72f988bf-86f1-41af-91ab-2d7cd011db47/" + exampleApp,
			State: "problem=untrusted-signer", Subject: "app/" + exampleApp + "/federation-metadata",
			Summary:    "federation metadata refused: the document is signed with certificate 9A1F0C3E5B7D2468ACE013579BDF02468ACE1357, which Microsoft Graph does not list for the app's service principal 4b6c8d2e-0f1a-4e3b-9c5d-7e8f9a0b1c2d: it was not signed by Entra ID (a forged or intercepted document; check LOGIN_AUTHORITY and any proxy)",
			Remedy:     "Nothing was archived and GET /api/metadata still serves the last trusted version. The document did not come from Entra ID as signed by the app's own certificates: check LOGIN_AUTHORITY and any proxy between the function app and the sign-in authority, and do not send this document to Aircall.",
			Details:    map[string]any{"problem": "untrusted-signer", "url": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/federationmetadata/2007-06/federationmetadata.xml?appid=" + exampleApp},
			ObservedAt: now,
		},
	)
	return out
}

// renderExamples renders the generated part of docs/events.md.
func renderExamples(t *testing.T, fs []domain.Finding) string {
	var b strings.Builder
	fmt.Fprintln(&b, beginMark)
	for _, f := range fs {
		e, err := domain.NewEvent(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := servicebus.Message(e)
		if err != nil {
			t.Fatal(err)
		}
		body, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		props := make([]string, 0, len(m.ApplicationProperties))
		for k, v := range m.ApplicationProperties {
			props = append(props, fmt.Sprintf("`%s`=`%v`", k, v))
		}
		sort.Strings(props)
		fmt.Fprintf(&b, "\n### `%s`\n\n", e.Type)
		fmt.Fprintf(&b, "Message: MessageID `%s`, Subject `%s`, ContentType `%s`; application properties %s.\n\n",
			*m.MessageID, *m.Subject, *m.ContentType, strings.Join(props, ", "))
		fmt.Fprintf(&b, "```json\n%s\n```\n", body)
	}
	fmt.Fprintln(&b)
	fmt.Fprint(&b, endMark)
	return b.String()
}

// TestEventsDoc keeps docs/events.md's examples generated from the code: one
// per finding kind, through domain.NewEvent and servicebus.Message.
func TestEventsDoc(t *testing.T) {
	fs := docExamples(t)

	// every FindingKind declared in the domain has an example
	kinds := map[string]bool{}
	files, _ := filepath.Glob("../domain/*.go")
	decl := regexp.MustCompile(`FindingKind\s*=\s*"([^"]+)"`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			kinds[string(m[1])] = true
		}
	}
	for _, f := range fs {
		delete(kinds, string(f.Kind))
	}
	if len(kinds) > 0 {
		t.Fatalf("docs/events.md has no example for finding kinds %v: add them to docExamples", kinds)
	}

	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(beginMark)), bytes.Index(doc, []byte(endMark))
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated-examples markers", docPath)
	}
	want := renderExamples(t, fs)
	got := string(doc[i : j+len(endMark)])
	if got == want {
		return
	}
	if *update {
		out := append(append(append([]byte{}, doc[:i]...), want...), doc[j+len(endMark):]...)
		if err := os.WriteFile(docPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the examples in %s", docPath)
		return
	}
	t.Fatalf("docs/events.md's examples are stale: run go test ./handler/servicebus -run TestEventsDoc -update")
}
