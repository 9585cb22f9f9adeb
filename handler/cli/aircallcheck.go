package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AircallCheckUsage is `handler aircall-check`'s synopsis.
const AircallCheckUsage = "handler aircall-check [--full-refresh] [--examples N] [--json]"

// AircallChecker runs the audit's Aircall pass alone.
type AircallChecker interface {
	AircallCheck(ctx context.Context, req audit.AircallCheckRequest) (*audit.AircallCheckReport, error)
}

// aircallCheckJobs is what the command needs from Jobs beyond the four
// jobs every command has (the app's composition root provides it).
type aircallCheckJobs interface {
	AircallChecker() (AircallChecker, error)
}

type aircallCheckCmd struct {
	req      audit.AircallCheckRequest
	examples int
	asJSON   bool
}

// ParseAircallCheck parses `handler aircall-check`.
func ParseAircallCheck(args []string, out io.Writer) (Runner, error) {
	fs := flags("aircall-check", AircallCheckUsage, out)
	full := fs.Bool("full-refresh", false, "list every Aircall user instead of refreshing the snapshot incrementally")
	examples := fs.Int("examples", 3, "example lines to print per kind of finding (0: all)")
	asJSON := fs.Bool("json", false, "print the whole report as JSON")
	if err := parseAll(fs, AircallCheckUsage, args); err != nil {
		return nil, err
	}
	if *examples < 0 {
		return nil, errors.New("--examples must be 0 or more")
	}
	return &aircallCheckCmd{req: audit.AircallCheckRequest{FullRefresh: *full}, examples: *examples, asJSON: *asJSON}, nil
}

// aircallKinds is the order the summary lists the kinds in.
var aircallKinds = []domain.FindingKind{domain.FindingAircallEmailDiffers, domain.FindingAircallUserMissing, domain.FindingAircallNoEntraAccess}

func (c *aircallCheckCmd) Run(ctx context.Context, jobs Jobs, out io.Writer) error {
	src, ok := jobs.(aircallCheckJobs)
	if !ok {
		return errors.New("aircall-check is not available in this build")
	}
	checker, err := src.AircallChecker()
	if err != nil {
		return err
	}
	rep, err := checker.AircallCheck(ctx, c.req)
	if err != nil {
		return err
	}
	if c.asJSON {
		return writeJSON(out, rep)
	}
	fmt.Fprintf(out, "Aircall: %d users (snapshot of %s, last full listing %s", rep.AircallUsers,
		rep.SnapshotTakenAt.Format("2006-01-02 15:04Z"), rep.SnapshotFullAt.Format("2006-01-02 15:04Z"))
	if rep.Refresh != "" {
		fmt.Fprintf(out, "; refresh: %s", rep.Refresh)
	}
	fmt.Fprintf(out, ")\nEntra ID: %d users read, %d people who may sign in checked (claim from %s)\n", rep.UsersScanned, rep.PeopleChecked, rep.ClaimSource)
	for _, k := range aircallKinds {
		fmt.Fprintf(out, "  %-24s %d\n", k, rep.Counts[k])
	}
	for _, k := range aircallKinds {
		n := 0
		for _, f := range rep.Findings {
			if f.Kind != k || (c.examples > 0 && n >= c.examples) {
				continue
			}
			n++
			fmt.Fprintf(out, "%s  %s: %s\n", k, f.Subject, f.Summary)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(out, "Note: %s\n", n)
	}
	if rep.Truncated {
		fmt.Fprintf(out, "(findings listed up to the report's row limit; counts are complete)\n")
	}
	if slices.ContainsFunc(rep.Findings, func(f domain.Finding) bool { return f.Kind == domain.FindingAircallEmailDiffers }) {
		fmt.Fprintln(out, "Each aircall.email-differs names both fixes: change the Aircall user's email to the claim value, or make Entra ID send the address Aircall has.")
	}
	return nil
}
