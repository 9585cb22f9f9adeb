package cli_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
)

// jobs gives the commands the jobs a test built.
type jobs struct {
	prov  functions.Provisioner
	arch  functions.MetadataArchiver
	aud   functions.Auditor
	diagn functions.Diagnoser
}

func (j jobs) Provisioner() functions.Provisioner   { return j.prov }
func (j jobs) Archiver() functions.MetadataArchiver { return j.arch }
func (j jobs) Auditor() functions.Auditor           { return j.aud }
func (j jobs) Diagnoser() functions.Diagnoser       { return j.diagn }

// run parses args with parse and runs the command, as main does.
func run(ctx context.Context, parse cli.Parse, j jobs, out *bytes.Buffer, args []string) error {
	r, err := parse(args, out)
	if err != nil {
		return err
	}
	return r.Run(ctx, j, out)
}

func TestHelpListsTheFlags(t *testing.T) {
	var out bytes.Buffer
	if _, err := cli.ParseAudit([]string{"-h"}, &out); err == nil || !bytes.Contains(out.Bytes(), []byte("usage: "+cli.AuditUsage)) ||
		!bytes.Contains(out.Bytes(), []byte("-scope")) {
		t.Fatalf("audit -h: %v\n%s", err, out.String())
	}
}
