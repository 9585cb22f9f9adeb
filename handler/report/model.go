package report

import (
	"slices"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// MaxRuns is how many runs the trend chart and the run summary index keep.
const MaxRuns = 30

// ShownPeople is how many people a cause section lists on the page; the CSV
// lists them all.
const ShownPeople = 50

// Audit is what the page needs from one stored audit report. Its JSON names
// are the audit report's (report.json), so a stored report decodes into it
// as is.
type Audit struct {
	Run
	// Counts is the number of open findings per kind.
	Counts map[domain.FindingKind]int `json:"counts"`
	// Findings are the run's findings: the people of each cause section and
	// the CSV rows. When they are fewer than Counts says, the page says so.
	Findings  []domain.Finding `json:"findings"`
	Truncated bool             `json:"truncated,omitempty"`
}

// Run describes an audit run, in the audit report's JSON names.
type Run struct {
	RunID     string            `json:"runId"`
	Mode      string            `json:"mode,omitempty"`
	Scope     domain.AuditScope `json:"scope,omitempty"`
	DryRun    bool              `json:"dryRun,omitempty"`
	Complete  bool              `json:"complete"`
	StartedAt time.Time         `json:"startedAt"`
	EndedAt   time.Time         `json:"endedAt"`
	// UsersChecked is how many users the run checked (its scope).
	UsersChecked int64    `json:"usersChecked"`
	Notes        []string `json:"notes,omitempty"`
}

// RunSummary is one run in the run summary index: small enough that the
// index of the last MaxRuns runs is one short document.
type RunSummary struct {
	RunID string `json:"runId"`
	// Report is the name of the run's stored report (its last invocation's,
	// domain.ReportStore), which the page reads.
	Report   string    `json:"report,omitempty"`
	EndedAt  time.Time `json:"endedAt"`
	Complete bool      `json:"complete"`
	// People is how many people would fail to sign in (see Headline).
	People int `json:"people"`
	// Open is the number of open findings per kind.
	Open map[domain.FindingKind]int `json:"open"`
}

// Summarize builds the run summary of an audit report.
func Summarize(a Audit) RunSummary {
	people, _ := blockedPeople(a)
	return RunSummary{RunID: a.RunID, EndedAt: a.EndedAt.UTC(), Complete: a.Complete, People: people, Open: cloneCounts(a.Counts)}
}

// Index is the run summary index document: the last MaxRuns runs, oldest
// first. Dry runs do not belong in it.
type Index struct {
	Runs []RunSummary `json:"runs"`
}

// Add returns the index with s in it: it replaces the summary of the same
// run (a resumed run's later invocation), keeps the runs in the order they
// ended and drops the oldest beyond MaxRuns. x is not modified.
func (x Index) Add(s RunSummary) Index {
	runs := make([]RunSummary, 0, len(x.Runs)+1)
	for _, r := range x.Runs {
		if r.RunID != s.RunID {
			runs = append(runs, r)
		}
	}
	runs = append(runs, s)
	slices.SortStableFunc(runs, func(a, b RunSummary) int { return a.EndedAt.Compare(b.EndedAt) })
	if len(runs) > MaxRuns {
		runs = runs[len(runs)-MaxRuns:]
	}
	return Index{Runs: runs}
}

// Health is the app's health as the page shows it.
type Health struct {
	// Drift lists the drift checks (DriftChecks builds them from drift
	// findings); empty when drift was not checked.
	Drift          []DriftCheck `json:"drift"`
	DriftCheckedAt time.Time    `json:"driftCheckedAt,omitzero"`
	// RotateBeforeDays is CERT_ROTATE_BEFORE_DAYS: a certificate with fewer
	// days left is due for rotation (0: only expired ones are flagged).
	RotateBeforeDays int           `json:"rotateBeforeDays,omitempty"`
	Certificates     []Certificate `json:"certificates"`
	// Metadata lists the last archived metadata versions, newest first.
	Metadata []MetadataVersion `json:"metadata"`
	// Aircall is the Aircall pass; nil when it is not configured.
	Aircall *AircallPass `json:"aircall,omitempty"`
	// AppFindings are the shown run's findings that are not about a person
	// (app drift, certificates, metadata); Build fills it.
	AppFindings []Issue `json:"appFindings,omitempty"`
}

// CheckState is the state of one drift check.
type CheckState string

// Drift check states.
const (
	CheckOK    CheckState = "ok"
	CheckDrift CheckState = "drift"
)

// DriftCheck is one check of the app's configuration against the desired state.
type DriftCheck struct {
	Name     string          `json:"name"`
	State    CheckState      `json:"state"`
	Severity domain.Severity `json:"severity,omitempty"`
	Detail   string          `json:"detail,omitempty"`
	Remedy   string          `json:"remedy,omitempty"`
}

// Certificate is one SAML signing certificate; Build sets DaysLeft and State.
type Certificate struct {
	domain.CertificateFacts
	DaysLeft int `json:"daysLeft"`
	// State is "expired", "due" (within RotateBeforeDays) or "ok".
	State string `json:"state"`
}

// MetadataVersion is one archived federation metadata version and what
// changed from the version before it.
type MetadataVersion struct {
	Name        string    `json:"name"`
	FetchedAt   time.Time `json:"fetchedAt"`
	Thumbprints []string  `json:"thumbprints,omitempty"`
	Changes     string    `json:"changes,omitempty"`
}

// AircallPass is the result of comparing the directory with Aircall's users.
type AircallPass struct {
	RanAt        time.Time                  `json:"ranAt"`
	UsersChecked int64                      `json:"usersChecked"`
	Counts       map[domain.FindingKind]int `json:"counts"`
}

// Issue is a finding that is not about a person.
type Issue struct {
	Kind     domain.FindingKind `json:"kind"`
	Severity domain.Severity    `json:"severity"`
	Subject  string             `json:"subject"`
	Summary  string             `json:"summary"`
	Remedy   string             `json:"remedy,omitempty"`
}

// Input is what the page is built from.
type Input struct {
	// Audit is the run to show.
	Audit Audit
	// History is the run summary index (any order); runs that ended after
	// the shown one are left out, so an older run shows its own past.
	History []RunSummary
	Health  Health
	// Now dates the page and counts the certificates' days left.
	Now time.Time
}

// Model is the page's data, rendered by HTML, JSON and CSV.
type Model struct {
	GeneratedAt time.Time `json:"generatedAt"`
	// Run is the shown run.
	Run      Run      `json:"run"`
	Headline Headline `json:"headline"`
	// Causes are the causes of failed sign-ins, the one that blocks most
	// people first (errors before warnings on ties).
	Causes []Cause `json:"causes"`
	// History is the trend: the last MaxRuns run summaries, oldest first,
	// ending with the shown run.
	History []RunSummary `json:"history"`
	Health  Health       `json:"health"`
}

// Headline is the page's first sentence: how many people would fail to sign
// in to Aircall right now, and the change since the previous run.
type Headline struct {
	People int `json:"people"`
	// AtLeast is set when the run's findings do not list every open
	// finding, so People is a lower bound.
	AtLeast bool `json:"atLeast,omitempty"`
	// Previous is the run before the shown one; nil for the first run.
	Previous *RunSummary `json:"previous,omitempty"`
	// Change is People minus the previous run's.
	Change int `json:"change"`
}

// Cause is one reason people fail to sign in, with its remedy once.
type Cause struct {
	Kind     domain.FindingKind `json:"kind"`
	Title    string             `json:"title"`
	Severity domain.Severity    `json:"severity"`
	// Open is the run's count of open findings of this kind.
	Open int `json:"open"`
	// Change is Open minus the previous run's; HasPrevious says whether
	// there was a previous run.
	Change      int    `json:"change"`
	HasPrevious bool   `json:"hasPrevious"`
	Remedy      string `json:"remedy,omitempty"`
	// People lists everyone the run's findings name, errors first.
	People []Person `json:"people"`
}

// Person is one person a cause blocks.
type Person struct {
	UPN         string          `json:"userPrincipalName"`
	DisplayName string          `json:"displayName,omitempty"`
	Mail        string          `json:"mail,omitempty"`
	EmailClaim  string          `json:"emailClaim,omitempty"`
	Severity    domain.Severity `json:"severity"`
	// Remedy is the person's own remedy; the page shows it only where it
	// differs from the cause's.
	Remedy string `json:"remedy,omitempty"`
}

func cloneCounts(m map[domain.FindingKind]int) map[domain.FindingKind]int {
	out := make(map[domain.FindingKind]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
