package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/graph"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

func init() {
	wirers = append(wirers, wireProvision)
	commandNames = append(commandNames, "provision")
	// The archive finds the app through provision's finder when APP_ID is
	// not set; diagnose and audit run provision's plan as the drift check.
	archiveDeps.apps = func(a *app) (archive.AppLocator, error) { return a.provisionJob() }
	if diagnoseDeps.checks == nil {
		diagnoseDeps.checks = map[string]func(a *app) (domain.AppCheck, error){}
	}
	diagnoseDeps.checks["appDrift"] = func(a *app) (domain.AppCheck, error) {
		job, err := a.provisionJob()
		if err != nil {
			return nil, err
		}
		return job.Drift, nil
	}
}

func wireProvision(a *app) error {
	a.router.Handle("provision", functions.Provision(lazyProvision{a}))
	a.commands["provision"] = command{
		Summary: "create or converge the Aircall SAML app in Entra ID (plan first with --dry-run)",
		Usage:   "handler provision [--dry-run] [--json] [--display-name NAME] [--assign ID,…]",
		Run: func(ctx context.Context, args []string) error {
			return runProvision(ctx, lazyProvision{a}, a.stdout, args)
		},
	}
	return nil
}

// provisionJob returns the app's provision job: the Graph adapter with the
// app's credential, the blob lease lock, the desired state from the settings.
func (a *app) provisionJob() (*provision.Job, error) {
	return a.shared.provision.get(func() (*provision.Job, error) {
		dir, err := graph.New(graph.Options{BaseURL: a.cfg.GraphBaseURL, Credential: a.cred, Log: a.log})
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Graph adapter: check GRAPH_BASE_URL")
		}
		store, err := a.blobStore()
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the blob store for the provision lock: check BLOB_SERVICE_URL / BLOB_CONNECTION_STRING")
		}
		return &provision.Job{
			Directory: dir, Lock: store.Lock(), Tenant: a.cfg.TenantID, LoginAuthority: a.cfg.LoginAuthority,
			AppID: a.cfg.AppID, Log: a.log,
			Desired: provision.Desired{
				DisplayName: a.cfg.AppDisplayName, ClaimSource: a.cfg.ClaimSource, Assign: a.cfg.Assign,
				CertLifetime: a.cfg.CertLifetime, CertRotateBefore: a.cfg.CertRotateBefore,
			},
		}, nil
	})
}

// lazyProvision is the function's and the command's provisioner.
type lazyProvision struct{ a *app }

func (l lazyProvision) Run(ctx context.Context, req provision.Request) (*provision.Result, error) {
	job, err := l.a.provisionJob()
	if err != nil {
		return nil, err
	}
	return job.Run(ctx, req)
}

// runProvision is `handler provision`: the plan (or the applied steps) as
// a table, or the whole result as JSON.
func runProvision(ctx context.Context, p functions.Provisioner, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	fs.SetOutput(out)
	dry := fs.Bool("dry-run", false, "print the plan without changing anything")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	name := fs.String("display-name", "", "display name for a new app (default APP_DISPLAY_NAME)")
	assign := fs.String("assign", "", "comma-separated user or group object ids to assign, besides APP_ASSIGN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: usage: handler provision [--dry-run] [--json] [--display-name NAME] [--assign ID,…]", fs.Arg(0))
	}
	req := provision.Request{DryRun: *dry, DisplayName: *name}
	for _, id := range strings.Split(*assign, ",") {
		if id = strings.TrimSpace(id); id != "" {
			req.Assign = append(req.Assign, id)
		}
	}
	res, err := p.Run(ctx, req)
	if err != nil {
		// The person at the terminal gets the message; the causes are in the log.
		return errors.New(domain.ErrorMessage(err))
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	_, err = io.WriteString(out, describeProvision(res))
	return err
}

// describeProvision renders a result for the terminal.
func describeProvision(r *provision.Result) string {
	var b strings.Builder
	switch {
	case r.Status == provision.StatusUpToDate:
		b.WriteString("The Aircall app is up to date: nothing to change.\n")
	case r.DryRun:
		fmt.Fprintf(&b, "Plan: %d step(s), nothing changed yet.\n", len(r.Steps))
	default:
		fmt.Fprintf(&b, "Applied %d step(s).\n", len(r.Steps))
	}
	if len(r.Steps) > 0 {
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tSTEP\tTARGET\tSETTING\tBEFORE\tAFTER")
		for i, s := range r.Steps {
			setting := s.Setting
			if s.PrincipalID != "" {
				setting += " " + s.PrincipalID
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i+1, s.Kind, s.Target, setting, s.Before, s.After)
		}
		_ = tw.Flush()
	}
	if r.App != nil {
		fmt.Fprintf(&b, "\napp        %s\nappId      %s\nobjectId   %s\nenterprise %s\nmetadata   %s\n",
			r.App.DisplayName, r.App.AppID, r.App.ObjectID, r.App.ServicePrincipalID, r.FederationMetadataURL)
	}
	if r.NextStep != "" {
		fmt.Fprintf(&b, "\nNext: %s\n", r.NextStep)
	}
	return b.String()
}
