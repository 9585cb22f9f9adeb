package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/bulk"
)

func init() {
	wirers = append(wirers, wireAudit)
	commandNames = append(commandNames, "audit")
}

func wireAudit(a *app) error {
	job := &lazyAudit{a: a}
	a.router.Handle("audit", functions.AuditTimer(job))
	a.router.Handle("audit-run", functions.AuditRun(job))
	a.commands["audit"] = command{
		Summary: "audit every user's Aircall sign-in and publish one remediation event per new problem",
		Usage:   "handler audit [--dry-run] [--full] [--scope assigned|all] [--json]",
		Run: func(ctx context.Context, args []string) error {
			return runAudit(ctx, job, a.stdout, args)
		},
	}
	return nil
}

// lazyAudit builds the audit job on first use (no I/O at start-up).
type lazyAudit struct {
	a   *app
	job lazy[*audit.Job]
}

func (l *lazyAudit) get() (*audit.Job, error) {
	return l.job.get(func() (*audit.Job, error) { return newAuditJob(l.a) })
}

func (l *lazyAudit) Run(ctx context.Context, req audit.Request) (*audit.Report, error) {
	job, err := l.get()
	if err != nil {
		return nil, err
	}
	return job.Run(ctx, req)
}

// newAuditJob wires the audit: the bulk pager (its throttle hook feeds the
// job), Blob for checkpoints, reports and the lock, the shared event sink,
// the claim configuration from the lookup adapter, and the app-wide checks
// other areas register (provision's drift check, the certificate check).
func newAuditJob(a *app) (*audit.Job, error) {
	store, err := a.blobStore()
	if err != nil {
		return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the blob store: check BLOB_SERVICE_URL / BLOB_CONNECTION_STRING")
	}
	job := &audit.Job{
		Checkpoints: store.Checkpoints(), Reports: store.Reports(), Lock: store.Lock(),
		Scope: domain.AuditScope(a.cfg.AuditScope), Workers: a.cfg.AuditShards, Budget: a.cfg.AuditTimeBudget,
		Log: a.log, Checks: map[string]audit.AppCheck{},
	}
	dir, err := bulk.New(bulk.Options{BaseURL: a.cfg.GraphBaseURL, Credential: a.cred, AppID: a.cfg.AppID,
		DisplayName: a.cfg.AppDisplayName, OnThrottle: job.OnThrottle})
	if err != nil {
		return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Graph pager: check GRAPH_BASE_URL")
	}
	job.Directory = dir
	var sink domain.EventSink = noSink{}
	if diagnoseDeps.events != nil {
		if sink, err = diagnoseDeps.events(a); err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the remediation event sink: check the SERVICEBUS_* settings and the handler log")
		}
	}
	job.Events = sink
	job.Outbox, _ = sink.(domain.OutboxDrainer) // the publisher delivers its outbox before a run
	if diagnoseDeps.directory != nil {
		users, err := diagnoseDeps.directory(a)
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Entra ID directory adapter: check GRAPH_BASE_URL and the handler log")
		}
		job.Claim = users.EmailClaim
	}
	for name, build := range diagnoseDeps.checks {
		check, err := build(a)
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the %s check: see the handler log", name)
		}
		job.Checks[name] = audit.AppCheck(check)
	}
	return job, nil
}

// runAudit is `handler audit`: one invocation, with a progress line when
// the output is a terminal, then a summary (or the report as JSON).
func runAudit(ctx context.Context, l *lazyAudit, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(out)
	dry := fs.Bool("dry-run", false, "scan and report without publishing events or saving state")
	full := fs.Bool("full", false, "scan every user instead of the changes since the last run")
	scope := fs.String("scope", "", "assigned (default: AUDIT_SCOPE) or all")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: usage: handler audit [--dry-run] [--full] [--scope assigned|all] [--json]", fs.Arg(0))
	}
	job, err := l.get()
	if err != nil {
		return err
	}
	if *scope != "" {
		s := domain.AuditScope(strings.ToLower(*scope))
		if !s.Valid() {
			return fmt.Errorf("--scope must be assigned or all, got %q", *scope)
		}
		job.Scope = s
	}
	if isTerminal(out) && !*asJSON {
		job.Progress = func(p audit.Progress) { fmt.Fprint(out, "\r"+progressLine(p)) }
		job.ProgressEvery = time.Second
		defer fmt.Fprintln(out)
	}
	rep, err := job.Run(ctx, audit.Request{DryRun: *dry, Full: *full})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	_, err = io.WriteString(out, "\n"+describeAudit(rep))
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressLine is the one-line progress shown on a terminal.
func progressLine(p audit.Progress) string {
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

// describeAudit renders a report for the terminal.
func describeAudit(r *audit.Report) string {
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
