package audit_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

func TestReportRenderingIsSafe(t *testing.T) {
	u := &domain.User{UserPrincipalName: "=HYPERLINK(\"http://x\")@contoso.com", Mail: "<script>alert(1)</script>@x.fr", AccountEnabled: true}
	r := &audit.Report{RunID: "20261128T010000Z-full", Mode: "full", Scope: domain.ScopeAssigned, Complete: true, Invocation: 1,
		Counts: map[domain.FindingKind]int{domain.FindingUPNMismatch: 1},
		Findings: []domain.Finding{{Kind: domain.FindingUPNMismatch, Severity: domain.SeverityError, Subject: u.UserPrincipalName,
			Summary: "UPN " + u.UserPrincipalName + " differs from " + u.Mail, User: u, EmailClaim: u.Mail}}}
	rows, err := csv.NewReader(strings.NewReader(string(audit.RenderCSV(r)))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	if got := rows[1][3]; !strings.HasPrefix(got, "'=") {
		t.Errorf("UPN cell %q would run as a spreadsheet formula", got)
	}
	if rows[1][10] != r.Findings[0].ID() {
		t.Errorf("event id column %q, want %s", rows[1][10], r.Findings[0].ID())
	}
	html := string(audit.RenderHTML(r))
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Error("the HTML report does not escape directory values")
	}
	for _, want := range []string{"<!doctype html>", "complete", "user.upn-mismatch", "20261128T010000Z-full"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if r.Name() != "20261128T010000Z-full-1" {
		t.Errorf("name %q", r.Name())
	}
}
