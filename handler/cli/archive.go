package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
)

// ArchiveUsage is `handler archive`'s synopsis.
const ArchiveUsage = "handler archive [--json]"

// archiveCmd is a parsed `handler archive`.
type archiveCmd struct{ asJSON bool }

// ParseArchive parses `handler archive`: one archive run, printed for a
// person (or as JSON).
func ParseArchive(args []string, out io.Writer) (Runner, error) {
	fs := flags("archive", ArchiveUsage, out)
	asJSON := fs.Bool("json", false, "print the run's result as JSON")
	if err := parseAll(fs, ArchiveUsage, args); err != nil {
		return nil, err
	}
	return &archiveCmd{asJSON: *asJSON}, nil
}

func (c *archiveCmd) Run(ctx context.Context, jobs Jobs, out io.Writer) error {
	r, err := jobs.Archiver().Run(ctx, nil)
	if err != nil {
		return err
	}
	if c.asJSON {
		return writeJSON(out, r)
	}
	_, err = io.WriteString(out, DescribeArchive(r, time.Now()))
	return err
}

// DescribeArchive renders a run's result for the terminal.
func DescribeArchive(r *archive.Result, now time.Time) string {
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
