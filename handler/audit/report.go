package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Report is what one audit invocation stores and returns: the run's facts,
// the open findings per kind and the findings this invocation published.
type Report struct {
	RunID  string            `json:"runId"`
	Mode   string            `json:"mode"`
	Scope  domain.AuditScope `json:"scope"`
	DryRun bool              `json:"dryRun"`
	// Complete is false when the invocation stopped at its time budget:
	// the next one continues from the checkpoint.
	Complete bool `json:"complete"`
	// Skipped is set when an IfDue request found nothing to do.
	Skipped bool `json:"skipped,omitempty"`
	// Resynced is set when an expired delta link turned the run full.
	Resynced   bool      `json:"resynced,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	EndedAt    time.Time `json:"endedAt"`
	Invocation int       `json:"invocation"`
	// Pages, UsersScanned and UsersChecked count the whole run so far;
	// UsersPerSec is this invocation's rate.
	Pages        int     `json:"pages"`
	UsersScanned int64   `json:"usersScanned"`
	UsersChecked int64   `json:"usersChecked"`
	UsersPerSec  float64 `json:"usersPerSecond"`
	// InvocationPages and InvocationUsers count this invocation alone.
	InvocationPages int   `json:"invocationPages"`
	InvocationUsers int64 `json:"invocationUsers"`
	Shards          int   `json:"shards,omitempty"`
	// Counts is the number of open findings per kind: at the end of the run
	// when Complete, else found so far.
	Counts map[domain.FindingKind]int `json:"counts"`
	// Published counts the events this run published (with DryRun: would
	// have published); Findings lists this invocation's, up to RowLimit.
	Published int              `json:"published"`
	Findings  []domain.Finding `json:"findings"`
	Truncated bool             `json:"truncated,omitempty"`
	Notes     []string         `json:"notes,omitempty"`
	// Locations are where the report was stored.
	Locations []string `json:"locations,omitempty"`
}

// Name is the report's storage name: run id and invocation.
func (r *Report) Name() string {
	n := r.RunID + "-" + strconv.Itoa(r.Invocation)
	if r.DryRun {
		n += "-dryrun"
	}
	return n
}

// report builds the invocation's report.
func (s *invocation) report(complete bool) *Report {
	p := s.prog.progress(true)
	c := s.rec
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	counts := st.seen.counts()
	if complete && !s.dry {
		counts = c.known.counts()
	}
	rows := slices.Clone(c.rows)
	slices.SortStableFunc(rows, func(a, b domain.Finding) int {
		if c := severityRank(a.Severity) - severityRank(b.Severity); c != 0 {
			return c
		}
		if a.Kind != b.Kind {
			if a.Kind < b.Kind {
				return -1
			}
			return 1
		}
		if a.Subject < b.Subject {
			return -1
		}
		if a.Subject > b.Subject {
			return 1
		}
		return 0
	})
	return &Report{
		RunID: st.RunID, Mode: st.Mode, Scope: st.Scope, DryRun: s.dry, Complete: complete, Resynced: st.Resynced,
		StartedAt: s.start.UTC(), EndedAt: s.j.now().UTC(), Invocation: st.Invocations,
		Pages: st.Pages, UsersScanned: st.UsersScanned, UsersChecked: st.UsersChecked, UsersPerSec: p.UsersPerSec,
		InvocationPages: p.Pages, InvocationUsers: p.Users,
		Shards: len(st.Ranges), Counts: counts, Published: st.Published, Findings: rows, Truncated: c.trunc,
		Notes: slices.Clone(c.notes),
	}
}

func severityRank(s domain.Severity) int {
	switch s {
	case domain.SeverityError:
		return 0
	case domain.SeverityWarning:
		return 1
	}
	return 2
}

// renderReport renders r as report.json, findings.csv and report.html.
func renderReport(r *Report) []domain.ReportFile {
	js, _ := json.MarshalIndent(r, "", "  ")
	return []domain.ReportFile{
		{Name: "report.json", ContentType: "application/json", Data: append(js, '\n')},
		{Name: "findings.csv", ContentType: "text/csv; charset=utf-8", Data: RenderCSV(r)},
		{Name: "report.html", ContentType: "text/html; charset=utf-8", Data: RenderHTML(r)},
	}
}

// RenderCSV renders the report's findings, one row each.
func RenderCSV(r *Report) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"severity", "kind", "subject", "userPrincipalName", "mail", "emailClaim", "accountEnabled", "userType", "summary", "remedy", "eventId"})
	for _, f := range r.Findings {
		upn, mail, enabled, typ := "", "", "", ""
		if f.User != nil {
			upn, mail, enabled, typ = f.User.UserPrincipalName, f.User.Mail, strconv.FormatBool(f.User.AccountEnabled), f.User.UserType
		}
		_ = w.Write([]string{string(f.Severity), string(f.Kind), csvSafe(f.Subject), csvSafe(upn), csvSafe(mail), csvSafe(f.EmailClaim),
			enabled, typ, csvSafe(f.Summary), csvSafe(f.Remedy), f.ID()})
	}
	w.Flush()
	return b.Bytes()
}

// csvSafe defuses values a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"ts":   func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
	"rate": func(f float64) string { return strconv.Itoa(int(f)) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aircall SSO audit {{.RunID}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.error{color:#a00;font-weight:600}.warning{color:#a60}.info{color:#555}
.facts td:first-child{width:14em;color:#555}code{font-size:.95em}
</style></head><body>
<h1>Aircall SSO sign-in audit</h1>
<table class="facts">
<tr><td>Run</td><td><code>{{.RunID}}</code> (invocation {{.Invocation}}{{if .DryRun}}, dry run{{end}})</td></tr>
<tr><td>Mode / scope</td><td>{{.Mode}}{{if .Resynced}} (delta link expired: full resync){{end}} / {{.Scope}}</td></tr>
<tr><td>Status</td><td>{{if .Complete}}complete{{else}}stopped at its time budget; the next invocation continues{{end}}</td></tr>
<tr><td>Time</td><td>{{ts .StartedAt}} → {{ts .EndedAt}}</td></tr>
<tr><td>Users</td><td>{{.UsersScanned}} read, {{.UsersChecked}} in scope, {{rate .UsersPerSec}} users/s, {{.Pages}} pages{{if .Shards}}, {{.Shards}} shards{{end}}</td></tr>
<tr><td>Events published</td><td>{{.Published}}{{if .DryRun}} (would have been){{end}}</td></tr>
</table>
<h2>Open findings</h2>
<table><tr><th>Kind</th><th>Count</th></tr>
{{range $k, $v := .Counts}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{else}}<tr><td colspan="2">none</td></tr>{{end}}
</table>
{{range .Notes}}<p class="warning">Note: {{.}}</p>{{end}}
<h2>New or changed findings ({{len .Findings}}{{if .Truncated}}, list truncated{{end}})</h2>
<table><tr><th>Severity</th><th>Kind</th><th>Subject</th><th>Email claim</th><th>Summary</th><th>Remedy</th></tr>
{{range .Findings}}<tr><td class="{{.Severity}}">{{.Severity}}</td><td>{{.Kind}}</td><td>{{.Subject}}</td><td><code>{{.EmailClaim}}</code></td><td>{{.Summary}}</td><td>{{.Remedy}}</td></tr>
{{else}}<tr><td colspan="6">none</td></tr>{{end}}
</table>
</body></html>
`))

// RenderHTML renders the report as a small self-contained page.
func RenderHTML(r *Report) []byte {
	var b bytes.Buffer
	if err := htmlReport.Execute(&b, r); err != nil {
		return []byte(fmt.Sprintf("<!doctype html><p>could not render the report: %s</p>", template.HTMLEscapeString(err.Error())))
	}
	return b.Bytes()
}
