package app

import (
	"github.com/identity-ops/aircall-entra-sso/handler/cli"
)

// Command is an operator subcommand: `handler <Name> [flags]`. Parse needs
// no settings (so -h works anywhere); the Runner it returns runs against an
// App (cli.Jobs).
type Command struct {
	Name, Summary, Usage string
	Parse                cli.Parse
}

// Commands lists the operator subcommands, in the order usage shows them.
func Commands() []Command {
	return []Command{
		{"provision", "create or converge the Aircall SAML app in Entra ID (plan first with --dry-run)", cli.ProvisionUsage, cli.ParseProvision},
		{"archive", "fetch, validate and archive the Aircall app's federation metadata", cli.ArchiveUsage, cli.ParseArchive},
		{"audit", "audit every user's Aircall sign-in and publish one remediation event per new problem", cli.AuditUsage, cli.ParseAudit},
		{"diagnose", "explain why one user cannot sign in to Aircall", cli.DiagnoseUsage, cli.ParseDiagnose},
		{"aircall-check", "compare every person with Aircall's user list (the audit's Aircall pass alone; publishes nothing)", cli.AircallCheckUsage, cli.ParseAircallCheck},
	}
}

// LookupCommand returns the command named name.
func LookupCommand(name string) (Command, bool) {
	for _, c := range Commands() {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

var _ cli.Jobs = (*App)(nil)
