package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AuditUsage is `handler audit`'s synopsis.
const AuditUsage = "handler audit [--dry-run] [--full] [--scope assigned|all] [--json]"

// auditCmd is a parsed `handler audit`.
type auditCmd struct {
	req    audit.Request
	asJSON bool
}

// ParseAudit parses `handler audit`: one invocation, with a progress line
// when the output is a terminal, then a summary (or the report as JSON).
// --scope applies to this invocation only (audit.Request.Scope).
func ParseAudit(args []string, out io.Writer) (Runner, error) {
	fs := flags("audit", AuditUsage, out)
	dry := fs.Bool("dry-run", false, "scan and report without publishing events or saving state")
	full := fs.Bool("full", false, "scan every user instead of the changes since the last run")
	scope := fs.String("scope", "", "assigned (default: AUDIT_SCOPE) or all")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseAll(fs, AuditUsage, args); err != nil {
		return nil, err
	}
	c := &auditCmd{req: audit.Request{DryRun: *dry, Full: *full}, asJSON: *asJSON}
	if *scope != "" {
		s := domain.AuditScope(strings.ToLower(*scope))
		if !s.Valid() {
			return nil, fmt.Errorf("--scope must be assigned or all, got %q", *scope)
		}
		c.req.Scope = s
	}
	return c, nil
}

func (c *auditCmd) Run(ctx context.Context, jobs Jobs, out io.Writer) error {
	req := c.req
	if isTerminal(out) && !c.asJSON {
		req.Progress = &audit.ProgressHook{Func: func(p audit.Progress) { fmt.Fprint(out, "\r"+ProgressLine(p)) }, Every: time.Second}
		defer fmt.Fprintln(out)
	}
	rep, err := jobs.Auditor().Run(ctx, req)
	if err != nil {
		return err
	}
	if c.asJSON {
		return writeJSON(out, rep)
	}
	_, err = io.WriteString(out, "\n"+DescribeAudit(rep))
	return err
}

// ProgressLine is the one-line progress shown on a terminal.
func ProgressLine(p audit.Progress) string {
	s := fmt.Sprintf("%s scan: %d pages, %d users (%d users/s), %d events", p.Mode, p.Pages, p.Users, int(p.UsersPerSec), p.Published)
	if p.Ranges > 1 {
		s += fmt.Sprintf(", shards %d/%d, %d at once", p.RangesDone, p.Ranges, p.Workers)
	}
	if p.EstimatedAll > 0 {
		s += fmt.Sprintf(", ~%d%%", min(100, p.Users*100/p.EstimatedAll))
	}
	if p.Throttled > 0 {
		s += fmt.Sprintf(", throttled %d×", p.Throttled)
	}
	return s + "   "
}

// DescribeAudit renders a report for the terminal.
func DescribeAudit(r *audit.Report) string {
	var b strings.Builder
	if r.Skipped {
		fmt.Fprintf(&b, "Nothing to do: run %s completed less than %s ago.\n", r.RunID, audit.MinInterval)
		return b.String()
	}
	state := "complete"
	if !r.Complete {
		state = "stopped at its time budget: run `handler audit` again to continue"
	}
	fmt.Fprintf(&b, "audit %s (%s, scope %s, invocation %d): %s\n", r.RunID, r.Mode, r.Scope, r.Invocation, state)
	if r.Resynced {
		b.WriteString("the delta link had expired: this run resynchronised with a full scan\n")
	}
	fmt.Fprintf(&b, "users      %d read, %d in scope, %d pages, %d users/s\n", r.UsersScanned, r.UsersChecked, r.Pages, int(r.UsersPerSec))
	verb := "published"
	if r.DryRun {
		verb = "would publish"
	}
	fmt.Fprintf(&b, "events     %s %d\n", verb, r.Published)
	kinds := make([]string, 0, len(r.Counts))
	for k := range r.Counts {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "open       %-20s %d\n", k, r.Counts[domain.FindingKind(k)])
	}
	for i, f := range r.Findings {
		if i == 20 {
			fmt.Fprintf(&b, "… %d more in the report\n", len(r.Findings)-20)
			break
		}
		fmt.Fprintf(&b, "%-7s %-18s %s → claim %q\n", f.Severity, f.Kind, f.Subject, f.EmailClaim)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, loc := range r.Locations {
		fmt.Fprintf(&b, "report     %s\n", loc)
	}
	return b.String()
}
