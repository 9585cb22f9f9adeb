package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

type checker struct {
	got audit.AircallCheckRequest
	rep *audit.AircallCheckReport
}

func (c *checker) AircallCheck(ctx context.Context, req audit.AircallCheckRequest) (*audit.AircallCheckReport, error) {
	c.got = req
	return c.rep, nil
}

// withChecker is the composition root's view for aircall-check.
type withChecker struct {
	jobs
	c *checker
}

func (w withChecker) AircallChecker() (cli.AircallChecker, error) { return w.c, nil }

func TestAircallCheckCommand(t *testing.T) {
	var out bytes.Buffer
	if _, err := cli.ParseAircallCheck([]string{"-h"}, &out); err == nil || !strings.Contains(out.String(), "usage: "+cli.AircallCheckUsage) ||
		!strings.Contains(out.String(), "-full-refresh") {
		t.Fatalf("aircall-check -h: %v\n%s", err, out.String())
	}
	if _, err := cli.ParseAircallCheck([]string{"extra"}, &out); err == nil {
		t.Fatal("an argument after the flags was accepted")
	}
	f := func(k domain.FindingKind, subject string) domain.Finding {
		return domain.Finding{Kind: k, Subject: subject, Summary: "about " + subject}
	}
	c := &checker{rep: &audit.AircallCheckReport{AircallUsers: 3, SnapshotTakenAt: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC),
		Refresh: "full", ClaimSource: domain.ClaimFromUPN, UsersScanned: 10, PeopleChecked: 6,
		Counts: map[domain.FindingKind]int{domain.FindingAircallEmailDiffers: 2, domain.FindingAircallNoEntraAccess: 1},
		Findings: []domain.Finding{f(domain.FindingAircallEmailDiffers, "ann@contoso.com"), f(domain.FindingAircallEmailDiffers, "bo@contoso.com"),
			f(domain.FindingAircallNoEntraAccess, "old@fabrikam.com")}}}
	out.Reset()
	r, err := cli.ParseAircallCheck([]string{"--full-refresh", "--examples", "1"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), withChecker{c: c}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"Aircall: 3 users", "refresh: full", "10 users read, 6 people who may sign in checked",
		"aircall.email-differs    2", "aircall.user-missing     0", "aircall.no-entra-access  1",
		"aircall.email-differs  ann@contoso.com: about ann@contoso.com", "old@fabrikam.com", "names both fixes"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "bo@contoso.com") || !c.got.FullRefresh {
		t.Errorf("--examples 1 printed a second example or --full-refresh was lost (%+v):\n%s", c.got, s)
	}
}
