package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

type recordingDiagnoser struct {
	job *diagnose.Job
	got []diagnose.Request
}

func (r *recordingDiagnoser) Diagnose(ctx context.Context, req diagnose.Request) (*diagnose.Diagnosis, error) {
	r.got = append(r.got, req)
	return r.job.Diagnose(ctx, req)
}

func TestRunDiagnose(t *testing.T) {
	dir := inmem.NewDirectory()
	dir.PutUser(domain.User{ID: "a", UserPrincipalName: "ann@contoso.com", Mail: "ann.smith@contoso.com", AccountEnabled: true})
	dir.AssignUser("a")
	d := &recordingDiagnoser{job: &diagnose.Job{Directory: dir}}

	var out bytes.Buffer
	if err := run(context.Background(), cli.ParseDiagnose, jobs{diagn: d}, &out, []string{"ann@contoso.com", "--ticket", "ZD-1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "Aircall SSO check for ann@contoso.com (ZD-1): sign-in fails.") {
		t.Errorf("text output:\n%s", out.String())
	}
	if r := d.got[0]; r.Ticket != "ZD-1" || !r.DryRun || r.Source != "cli" {
		t.Errorf("request %+v: want ticket ZD-1, dry run (no --enqueue), source cli", r)
	}

	out.Reset()
	if err := run(context.Background(), cli.ParseDiagnose, jobs{diagn: d}, &out, []string{"--json", "--enqueue", "ann@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	var diag diagnose.Diagnosis
	if err := json.Unmarshal(out.Bytes(), &diag); err != nil || diag.Facts.EmailClaim != "ann.smith@contoso.com" || d.got[1].DryRun {
		t.Errorf("--json --enqueue: %v, %+v, request %+v", err, diag.Facts, d.got[1])
	}

	if err := run(context.Background(), cli.ParseDiagnose, jobs{diagn: d}, &out, nil); err == nil || !strings.Contains(err.Error(), "exactly one user") {
		t.Errorf("no user: %v", err)
	}
}
