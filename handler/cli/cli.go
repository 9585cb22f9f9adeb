// Package cli is the operator's face of each job: `handler provision`,
// `handler archive`, `handler audit` and `handler diagnose` parse their flags
// here (one file per job), run the job and print its plan, progress and
// summary for a person, or the result as JSON.
//
// Parsing needs no settings, so `handler <command> -h` works on a machine
// that has none. It holds no policy — that is the jobs' — and builds no
// adapter: the app package's composition root gives it the jobs (Jobs).
package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/identity-ops/aircall-entra-sso/handler/functions"
)

// Jobs gives a command the job it runs; the app's composition root is one.
type Jobs interface {
	Provisioner() functions.Provisioner
	Archiver() functions.MetadataArchiver
	Auditor() functions.Auditor
	Diagnoser() functions.Diagnoser
}

// Runner is a command whose flags were parsed: Run does the work and
// prints to out.
type Runner interface {
	Run(ctx context.Context, jobs Jobs, out io.Writer) error
}

// Parse reads a command's arguments. On -h it prints the command's usage
// and flags to out and returns flag.ErrHelp.
type Parse func(args []string, out io.Writer) (Runner, error)

// flags returns a flag set for command whose -h prints usage and the flags.
func flags(command, usage string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseAll parses args and refuses anything after the flags.
func parseAll(fs *flag.FlagSet, usage string, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: usage: %s", fs.Arg(0), usage)
	}
	return nil
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
