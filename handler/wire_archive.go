package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
)

func init() {
	wirers = append(wirers, wireArchive)
	commandNames = append(commandNames, "archive")
}

// archiveDeps are builders other areas set (or the lead at integration);
// each must do no I/O.
var archiveDeps struct {
	// apps finds the Aircall app when APP_ID is not set: the provision
	// job's finder (by the managed tag) wrapped as an archive.AppLocator.
	apps func(a *app) (archive.AppLocator, error)
}

func wireArchive(a *app) error {
	job := &lazyArchive{a: a}
	a.router.Handle("metadata-archive", functions.MetadataArchive(job))
	a.router.Handle("metadata", functions.Metadata(job))
	a.commands["archive"] = command{
		Summary: "fetch, validate and archive the Aircall app's federation metadata",
		Usage:   "handler archive [--json]",
		Run: func(ctx context.Context, args []string) error {
			return runArchive(ctx, job, a.stdout, args)
		},
	}
	return nil
}

// runArchive is `handler archive`: one archive run, printed for a person
// (or as JSON).
func runArchive(ctx context.Context, job functions.MetadataArchiver, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("archive", flag.ContinueOnError)
	fs.SetOutput(out)
	asJSON := fs.Bool("json", false, "print the run's result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: usage: handler archive [--json]", fs.Arg(0))
	}
	r, err := job.Run(ctx, nil)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	_, err = io.WriteString(out, describeArchive(r, time.Now()))
	return err
}

// describeArchive renders a run's result for the terminal.
func describeArchive(r *archive.Result, now time.Time) string {
	var b strings.Builder
	s := r.Snapshot
	fmt.Fprintf(&b, "federation metadata %s\n", r.URL)
	state := "unchanged"
	switch {
	case r.Stored:
		state = "new version stored"
	case r.PointerMoved && r.Previous != nil && r.Previous.SHA256 != s.SHA256:
		state = "back to an archived version"
	}
	fmt.Fprintf(&b, "version   %s (%s)\nsha256    %s\nentityID  %s\n", s.Name, state, s.SHA256, s.EntityID)
	for _, c := range s.Certificates {
		use := "listed"
		if c.SignsDocument {
			use = "signs the metadata"
		}
		fmt.Fprintf(&b, "cert      %s  %s  until %s (%d days), %s\n", c.Thumbprint, c.Subject,
			c.NotAfter.Format("2006-01-02"), int(c.NotAfter.Sub(now).Hours()/24), use)
	}
	if r.Diff != nil {
		fmt.Fprintf(&b, "changes since %s:\n  %s\n", r.Previous.Name, strings.ReplaceAll(r.Diff.String(), "\n", "\n  "))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "event     %s (%s): %s\n", f.Kind, f.Severity, f.Summary)
	}
	return b.String()
}

// lazyArchive builds the archive job on first use, so start-up does no work
// for it and a missing optional adapter only fails the functions that need it.
type lazyArchive struct {
	a   *app
	job lazy[*archive.Job]
}

func (l *lazyArchive) get() (*archive.Job, error) {
	return l.job.get(func() (*archive.Job, error) { return newArchiveJob(l.a) })
}

func (l *lazyArchive) Run(ctx context.Context, log *slog.Logger) (*archive.Result, error) {
	job, err := l.get()
	if err != nil {
		return nil, err
	}
	return job.Run(ctx, log)
}

func (l *lazyArchive) Summary(ctx context.Context) (*archive.Summary, error) {
	job, err := l.get()
	if err != nil {
		return nil, err
	}
	return job.Summary(ctx)
}

func (l *lazyArchive) Document(ctx context.Context, version string) ([]byte, string, error) {
	job, err := l.get()
	if err != nil {
		return nil, "", err
	}
	return job.Document(ctx, version)
}

func newArchiveJob(a *app) (*archive.Job, error) {
	var apps archive.AppLocator
	switch {
	case a.cfg.AppID != "":
		apps = archive.StaticApp{Tenant: a.cfg.TenantID, AppID: a.cfg.AppID}
	case archiveDeps.apps != nil:
		found, err := archiveDeps.apps(a)
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the app finder: set APP_ID, or check GRAPH_BASE_URL and the handler log")
		}
		apps = found
	default:
		return nil, domain.Errorf(domain.EUNAVAILABLE, "the Aircall app is unknown: set APP_ID to its appId (this build has no app finder)")
	}
	store, err := a.blobStore()
	if err != nil {
		return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the blob store: check BLOB_SERVICE_URL / BLOB_CONNECTION_STRING")
	}
	var sink domain.EventSink = noSink{}
	if diagnoseDeps.events != nil {
		if sink, err = diagnoseDeps.events(a); err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the remediation event sink: check the SERVICEBUS_* settings and the handler log")
		}
	}
	return &archive.Job{
		Apps: apps, Fetcher: &fedmeta.Fetcher{Authority: a.cfg.LoginAuthority}, Store: store.Snapshots(),
		Events: sink, Thresholds: a.cfg.CertExpiryWarn, Log: a.log,
	}, nil
}

// noSink stands in when no event sink is wired: a run that has an event to
// send fails (and the next run sends it), a run without events succeeds.
type noSink struct{}

func (noSink) Publish(context.Context, []domain.Event) error {
	return domain.Errorf(domain.EUNAVAILABLE, "no remediation event sink is wired in this build (diagnoseDeps.events in handler/wire_webhook.go)")
}
