package report

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

// uf is a user finding about the person with object id id.
func uf(k domain.FindingKind, sev domain.Severity, id, upn, remedy string) domain.Finding {
	u := domain.User{ID: id, UserPrincipalName: upn, Mail: upn, DisplayName: "Person " + id, AccountEnabled: true}
	return domain.Finding{Kind: k, Severity: sev, Key: id, Subject: upn, Remedy: remedy, User: &u, EmailClaim: upn}
}

func audit(id string, end time.Time, counts map[domain.FindingKind]int, fs ...domain.Finding) Audit {
	return Audit{Run: Run{RunID: id, Complete: true, StartedAt: end.Add(-time.Minute), EndedAt: end}, Counts: counts, Findings: fs}
}

func causeKinds(cs []Cause) []domain.FindingKind {
	var out []domain.FindingKind
	for _, c := range cs {
		out = append(out, c.Kind)
	}
	return out
}

func TestBuildHeadlineAndCauses(t *testing.T) {
	const (
		mis, miss, dis, na, guest = domain.FindingUPNMismatch, domain.FindingMailMissing, domain.FindingUserDisabled, domain.FindingUserNotAssigned, domain.FindingGuestUPN
		E, W, I                   = domain.SeverityError, domain.SeverityWarning, domain.SeverityInfo
	)
	prev := RunSummary{RunID: "r0", EndedAt: t0.Add(-24 * time.Hour), People: 10, Open: map[domain.FindingKind]int{dis: 3}}
	tests := []struct {
		name        string
		in          Input
		people      int
		atLeast     bool
		change      int
		hasPrevious bool
		order       []domain.FindingKind
	}{
		{
			name:   "a person with two causes counts once",
			in:     Input{Audit: audit("r1", t0, map[domain.FindingKind]int{dis: 1, na: 2}, uf(dis, E, "a", "a@x", "r"), uf(na, E, "a", "a@x", "r"), uf(na, E, "b", "b@x", "r"))},
			people: 2, order: []domain.FindingKind{na, dis},
		},
		{
			name:   "info findings block no one and come last",
			in:     Input{Audit: audit("r1", t0, map[domain.FindingKind]int{miss: 3, dis: 1}, uf(miss, I, "a", "a@x", "r"), uf(miss, I, "b", "b@x", "r"), uf(miss, I, "c", "c@x", "r"), uf(dis, E, "d", "d@x", "r"))},
			people: 1, order: []domain.FindingKind{dis, miss},
		},
		{
			name:   "more open than listed: at least the open count",
			in:     Input{Audit: audit("r1", t0, map[domain.FindingKind]int{mis: 100, guest: 7}, uf(mis, E, "a", "a@x", "r"))},
			people: 100, atLeast: true, order: []domain.FindingKind{mis, guest},
		},
		{
			name:   "errors before warnings on ties, then by kind",
			in:     Input{Audit: audit("r1", t0, map[domain.FindingKind]int{mis: 1, na: 1, dis: 1}, uf(mis, W, "a", "a@x", "r"), uf(na, E, "b", "b@x", "r"), uf(dis, E, "c", "c@x", "r"))},
			people: 3, order: []domain.FindingKind{dis, na, mis},
		},
		{
			name:   "change since the previous run",
			in:     Input{Audit: audit("r1", t0, map[domain.FindingKind]int{dis: 1}, uf(dis, E, "a", "a@x", "r")), History: []RunSummary{prev}},
			people: 1, change: -9, hasPrevious: true, order: []domain.FindingKind{dis},
		},
		{
			name:   "no findings",
			in:     Input{Audit: audit("r1", t0, map[domain.FindingKind]int{})},
			people: 0, order: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Build(tt.in)
			h := m.Headline
			if h.People != tt.people || h.AtLeast != tt.atLeast || h.Change != tt.change || (h.Previous != nil) != tt.hasPrevious {
				t.Errorf("headline = %+v; want people %d atLeast %v change %d previous %v", h, tt.people, tt.atLeast, tt.change, tt.hasPrevious)
			}
			if got := causeKinds(m.Causes); !slices.Equal(got, tt.order) {
				t.Errorf("causes = %v, want %v", got, tt.order)
			}
			for _, c := range m.Causes {
				if c.HasPrevious != tt.hasPrevious {
					t.Errorf("cause %s HasPrevious = %v", c.Kind, c.HasPrevious)
				}
			}
			if got := Summarize(tt.in.Audit).People; got != tt.people {
				t.Errorf("Summarize people = %d, want the headline's %d", got, tt.people)
			}
		})
	}
}

func TestCauseChangeAndRemedy(t *testing.T) {
	k := domain.FindingUPNMismatch
	a := audit("r1", t0, map[domain.FindingKind]int{k: 4},
		uf(k, domain.SeverityError, "b", "b@x", "common"), uf(k, domain.SeverityError, "a", "A@x", "common"),
		uf(k, domain.SeverityWarning, "c", "c@x", "own to c"), uf(k, domain.SeverityError, "a", "a@x", "common"))
	m := Build(Input{Audit: a, History: []RunSummary{{RunID: "r0", EndedAt: t0.Add(-time.Hour), Open: map[domain.FindingKind]int{k: 1}}}})
	if len(m.Causes) != 1 {
		t.Fatalf("causes = %+v", m.Causes)
	}
	c := m.Causes[0]
	if c.Remedy != "common" || c.Open != 4 || c.Change != 3 || c.Severity != domain.SeverityError || c.Title != "UPN differs from mail" {
		t.Errorf("cause = %+v", c)
	}
	var upns []string
	for _, p := range c.People {
		upns = append(upns, p.UPN)
	}
	// Errors first, then by UPN; the same person once.
	if want := []string{"A@x", "b@x", "c@x"}; !slices.Equal(upns, want) {
		t.Errorf("people = %v, want %v", upns, want)
	}
	if c.People[2].Remedy != "own to c" {
		t.Errorf("a person's own remedy is kept: %+v", c.People[2])
	}
}

func TestHistory(t *testing.T) {
	var idx []RunSummary
	for i := range 40 {
		idx = append(idx, RunSummary{RunID: "r" + string(rune('A'+i)), EndedAt: t0.Add(time.Duration(i) * time.Hour)})
	}
	tests := []struct {
		name      string
		audit     Audit
		runs      int
		firstID   string
		previous  string
		lastEnded time.Time
	}{
		{"latest run: the last 30", audit("new", t0.Add(50*time.Hour), nil), MaxRuns, "rL", "r" + string(rune('A'+39)), t0.Add(50 * time.Hour)},
		{"an older run shows its own past", audit("old", t0.Add(4*time.Hour+time.Minute), nil), 6, "rA", "rE", t0.Add(4*time.Hour + time.Minute)},
		{"a run in the index is replaced by its report", audit("rC", t0.Add(2*time.Hour), nil), 3, "rA", "rB", t0.Add(2 * time.Hour)},
		{"first run", audit("first", t0.Add(-time.Hour), nil), 1, "first", "", t0.Add(-time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Build(Input{Audit: tt.audit, History: idx})
			h := m.History
			if len(h) != tt.runs || h[0].RunID != tt.firstID || h[len(h)-1].RunID != tt.audit.RunID || !h[len(h)-1].EndedAt.Equal(tt.lastEnded) {
				t.Fatalf("history: %d runs from %s to %s; want %d from %s to %s", len(h), h[0].RunID, h[len(h)-1].RunID, tt.runs, tt.firstID, tt.audit.RunID)
			}
			prev := ""
			if m.Headline.Previous != nil {
				prev = m.Headline.Previous.RunID
			}
			if prev != tt.previous {
				t.Errorf("previous run = %q, want %q", prev, tt.previous)
			}
		})
	}
}

func TestIndexAdd(t *testing.T) {
	var x Index
	for i := range MaxRuns + 5 {
		x = x.Add(RunSummary{RunID: "r" + string(rune('a'+i)), EndedAt: t0.Add(time.Duration(i) * time.Hour), People: i})
	}
	if len(x.Runs) != MaxRuns || x.Runs[0].RunID != "rf" {
		t.Fatalf("index keeps the last %d runs: %d from %s", MaxRuns, len(x.Runs), x.Runs[0].RunID)
	}
	before := slices.Clone(x.Runs)
	y := x.Add(RunSummary{RunID: "rf", EndedAt: t0.Add(100 * time.Hour), People: 99})
	if !slices.EqualFunc(x.Runs, before, func(a, b RunSummary) bool { return a.RunID == b.RunID && a.People == b.People }) {
		t.Error("Add modified its receiver")
	}
	if len(y.Runs) != MaxRuns || y.Runs[MaxRuns-1].RunID != "rf" || y.Runs[MaxRuns-1].People != 99 || y.Runs[0].RunID != "rg" {
		t.Errorf("a run added again replaces its summary and moves to when it ended: %+v … %+v", y.Runs[0], y.Runs[MaxRuns-1])
	}
}

// TestAuditDecodesReportJSON: a stored audit report (report.json) decodes
// into Audit as is, and its summary is what the index stores.
func TestAuditDecodesReportJSON(t *testing.T) {
	doc := `{"runId":"20261130T020000Z-full","mode":"full","scope":"assigned","dryRun":false,"complete":true,
	"startedAt":"2026-11-30T02:00:00Z","endedAt":"2026-11-30T02:04:00Z","invocation":1,"usersChecked":4812,
	"counts":{"user.upn-mismatch":2},"published":2,
	"findings":[{"kind":"user.upn-mismatch","severity":"error","key":"u1","subject":"a@contoso.com","summary":"s","remedy":"r",
	"user":{"id":"u1","userPrincipalName":"a@contoso.com","mail":"a@contoso.co.uk","accountEnabled":true},"emailClaim":"a@contoso.co.uk","observedAt":"2026-11-30T02:01:00Z"}]}`
	var a Audit
	if err := json.Unmarshal([]byte(doc), &a); err != nil {
		t.Fatal(err)
	}
	s := Summarize(a)
	js, _ := json.Marshal(s)
	want := `{"runId":"20261130T020000Z-full","endedAt":"2026-11-30T02:04:00Z","complete":true,"people":2,"open":{"user.upn-mismatch":2}}`
	if string(js) != want {
		t.Errorf("summary = %s\nwant      %s", js, want)
	}
	if a.UsersChecked != 4812 || a.Scope != domain.ScopeAssigned || len(a.Findings) != 1 || a.Findings[0].User.Mail != "a@contoso.co.uk" {
		t.Errorf("decoded audit = %+v", a)
	}
}

func TestHealth(t *testing.T) {
	now := t0
	cert := func(tp string, notAfter time.Time) Certificate {
		return Certificate{CertificateFacts: domain.CertificateFacts{Thumbprint: tp, NotBefore: now.AddDate(-1, 0, 0), NotAfter: notAfter}}
	}
	drift := domain.Finding{Kind: domain.FindingAppDrift, Severity: domain.SeverityError, Subject: "aircall-app/x", Summary: "claim from mail",
		Remedy: "run provision", Details: map[string]any{"setting": "emailaddress claim"}}
	m := Build(Input{
		Audit: audit("r1", now, map[domain.FindingKind]int{domain.FindingAppDrift: 1}, drift),
		Now:   now,
		Health: Health{RotateBeforeDays: 30, Drift: DriftChecks([]domain.Finding{drift}),
			Certificates: []Certificate{cert("OK", now.AddDate(0, 0, 200)), cert("EXPIRED", now.Add(-time.Hour)), cert("DUE", now.AddDate(0, 0, 30))}},
	})
	var got []string
	for _, c := range m.Health.Certificates {
		got = append(got, c.Thumbprint+"/"+c.State+"/"+itoa(c.DaysLeft))
	}
	if want := []string{"EXPIRED/expired/0", "DUE/due/30", "OK/ok/200"}; !slices.Equal(got, want) {
		t.Errorf("certificates = %v, want %v", got, want)
	}
	if len(m.Causes) != 0 || len(m.Health.AppFindings) != 1 || m.Health.AppFindings[0].Summary != "claim from mail" {
		t.Errorf("an app finding goes to the app's health, not to the causes: causes %+v, app findings %+v", m.Causes, m.Health.AppFindings)
	}
	if d := m.Health.Drift; len(d) != 1 || d[0].Name != "emailaddress claim" || d[0].State != CheckDrift || d[0].Remedy != "run provision" {
		t.Errorf("drift checks = %+v", d)
	}
	if d := DriftChecks(nil); len(d) != 1 || d[0].State != CheckOK {
		t.Errorf("no drift finding: %+v, want one passing check", d)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
