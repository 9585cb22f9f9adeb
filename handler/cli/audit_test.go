package cli_test

import (
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

func TestDescribeAudit(t *testing.T) {
	rep := &audit.Report{RunID: "20261128T010000Z-full", Mode: "full", Scope: "assigned", Invocation: 2, Complete: false,
		UsersScanned: 1200, UsersChecked: 800, Pages: 3, Published: 2,
		Counts:   map[domain.FindingKind]int{domain.FindingUPNMismatch: 2},
		Findings: []domain.Finding{{Kind: domain.FindingUPNMismatch, Severity: domain.SeverityWarning, Subject: "ann@contoso.com", EmailClaim: "ann@contoso.com"}}}
	s := cli.DescribeAudit(rep)
	for _, want := range []string{"invocation 2", "run `handler audit` again to continue", "1200 read, 800 in scope", "published 2",
		"user.upn-mismatch", `ann@contoso.com → claim "ann@contoso.com"`} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	line := cli.ProgressLine(audit.Progress{Mode: "full", Pages: 10, Users: 9990, UsersPerSec: 4000, Ranges: 8, RangesDone: 3, Workers: 6, EstimatedAll: 20000, Throttled: 2})
	if !strings.Contains(line, "shards 3/8, 6 at once, ~49%, throttled 2×") {
		t.Errorf("progress line %q", line)
	}
}
