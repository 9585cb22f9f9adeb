package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
)

// DiagnoseUsage is `handler diagnose`'s synopsis.
const DiagnoseUsage = "handler diagnose [--ticket REF] [--enqueue] [--json] <upn-or-email>"

// diagnoseCmd is a parsed `handler diagnose`.
type diagnoseCmd struct {
	req    diagnose.Request
	asJSON bool
}

// ParseDiagnose parses `handler diagnose`: flags may come before or after
// the user.
func ParseDiagnose(args []string, out io.Writer) (Runner, error) {
	fs := flags("diagnose", DiagnoseUsage, out)
	ticket := fs.String("ticket", "", "ticket reference to put in the remediation events' subject")
	enqueue := fs.Bool("enqueue", false, "send the remediation events (default: only print the diagnosis)")
	asJSON := fs.Bool("json", false, "print the whole diagnosis as JSON instead of the ticket text")
	var users []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		users = append(users, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(users) != 1 {
		return nil, errors.New("give exactly one user: " + DiagnoseUsage)
	}
	return &diagnoseCmd{req: diagnose.Request{User: users[0], Ticket: *ticket, Source: "cli", DryRun: !*enqueue}, asJSON: *asJSON}, nil
}

func (c *diagnoseCmd) Run(ctx context.Context, jobs Jobs, out io.Writer) error {
	diag, err := jobs.Diagnoser().Diagnose(ctx, c.req)
	if err != nil {
		return err
	}
	if c.asJSON {
		return writeJSON(out, diag)
	}
	_, err = fmt.Fprintln(out, diag.Text)
	if err == nil && len(diag.Enqueued) > 0 {
		_, err = fmt.Fprintf(out, "(%d remediation event(s) queued)\n", len(diag.Enqueued))
	}
	return err
}
