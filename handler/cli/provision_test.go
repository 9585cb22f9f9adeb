package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

func TestRunProvision(t *testing.T) {
	dir := inmem.NewAppDirectory()
	dir.AddPrincipal("0f1e2d3c-4b5a-4968-8776-655443322110", "Group")
	job := &provision.Job{Directory: dir, Lock: inmem.NewLock(), Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", Pins: &inmem.Pins{}, Owner: inmem.DefaultOwner}
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, cli.ParseProvision, jobs{prov: job}, &out, []string{"--dry-run", "--assign", "0f1e2d3c-4b5a-4968-8776-655443322110"}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"Plan: 11 step(s), nothing changed yet.", "#   STEP", "1   create-app", "4   sso-mode", "preferredSingleSignOnMode", "none", "saml",
		"11  assign", "appRoleAssignedTo 0f1e2d3c-4b5a-4968-8776-655443322110", "Next: The Aircall app does not exist yet"} {
		if !strings.Contains(s, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, s)
		}
	}
	if len(dir.Apps()) != 0 {
		t.Fatal("--dry-run changed the tenant")
	}
	out.Reset()
	if err := run(ctx, cli.ParseProvision, jobs{prov: job}, &out, nil); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "Applied 10 step(s).") || !strings.Contains(s, "federationmetadata.xml?appid=") {
		t.Errorf("apply output:\n%s", s)
	}
	out.Reset()
	if err := run(ctx, cli.ParseProvision, jobs{prov: job}, &out, []string{"--dry-run"}); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.HasPrefix(s, "The Aircall app is up to date") || strings.Contains(s, "STEP") {
		t.Errorf("second plan output:\n%s", s)
	}
	if err := run(ctx, cli.ParseProvision, jobs{prov: job}, &out, []string{"extra"}); err == nil {
		t.Error("an extra argument was accepted")
	}
}
