package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// ProvisionUsage is `handler provision`'s synopsis.
const ProvisionUsage = "handler provision [--dry-run] [--json] [--display-name NAME] [--assign ID,…] [--adopt APPID]"

// provisionCmd is a parsed `handler provision`.
type provisionCmd struct {
	req    provision.Request
	asJSON bool
}

// ParseProvision parses `handler provision`: the plan (or the applied
// steps) as a table, or the whole result as JSON.
func ParseProvision(args []string, out io.Writer) (Runner, error) {
	fs := flags("provision", ProvisionUsage, out)
	dry := fs.Bool("dry-run", false, "print the plan without changing anything")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	name := fs.String("display-name", "", "display name for a new app (default APP_DISPLAY_NAME)")
	assign := fs.String("assign", "", "comma-separated user or group object ids to assign, besides APP_ASSIGN")
	adopt := fs.String("adopt", "", "appId of an existing app to adopt: pin it and make APP_OWNER_OBJECT_ID its owner (needs an operator's login)")
	if err := parseAll(fs, ProvisionUsage, args); err != nil {
		return nil, err
	}
	// The command runs as an operator: it applies the operator steps too
	// (docs/security.md).
	c := &provisionCmd{req: provision.Request{DryRun: *dry, DisplayName: *name, Adopt: strings.TrimSpace(*adopt), Operator: true}, asJSON: *asJSON}
	for _, id := range strings.Split(*assign, ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.req.Assign = append(c.req.Assign, id)
		}
	}
	return c, nil
}

func (c *provisionCmd) Run(ctx context.Context, jobs Jobs, out io.Writer) error {
	res, err := jobs.Provisioner().Run(ctx, c.req)
	if err != nil {
		// The person at the terminal gets the message; the causes are in the log.
		return errors.New(domain.ErrorMessage(err))
	}
	if c.asJSON {
		return writeJSON(out, res)
	}
	_, err = io.WriteString(out, DescribeProvision(res))
	return err
}

// DescribeProvision renders a result for the terminal.
func DescribeProvision(r *provision.Result) string {
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
	for _, l := range r.LookAlikes {
		fmt.Fprintf(&b, "\nlook-alike %s %q (%s): reported, never used\n", l.AppID, l.DisplayName, strings.Join(l.Why, ", "))
	}
	for _, s := range r.OperatorSteps {
		fmt.Fprintf(&b, "operator step (not applied): %s %s → %s [%s]\n", s.Kind, s.Setting, s.After, s.Permission)
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
