package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Build turns what the page is built from into the page's data.
func Build(in Input) Model {
	a := in.Audit
	m := Model{
		GeneratedAt: in.Now.UTC(),
		Run:         a.Run,
		History:     history(in.History, a),
	}
	m.Run.StartedAt, m.Run.EndedAt = a.StartedAt.UTC(), a.EndedAt.UTC()
	var prev *RunSummary
	if n := len(m.History); n > 1 {
		p := m.History[n-2]
		prev = &p
	}
	people, atLeast := blockedPeople(a)
	m.Headline = Headline{People: people, AtLeast: atLeast, Previous: prev}
	if prev != nil {
		m.Headline.Change = people - prev.People
	}
	m.Causes = causes(a, prev)
	m.Health = health(in.Health, a.Findings, in.Now)
	return m
}

// history returns the trend ending with the shown run: the index's runs
// that ended before it, then its own summary, at most MaxRuns.
func history(idx []RunSummary, a Audit) []RunSummary {
	var x Index
	for _, r := range idx {
		if r.RunID != a.RunID && !r.EndedAt.After(a.EndedAt) {
			x.Runs = append(x.Runs, r)
		}
	}
	return x.Add(Summarize(a)).Runs
}

// personKind reports whether findings of kind k are about a person.
func personKind(k domain.FindingKind) bool { return strings.HasPrefix(string(k), "user.") }

// blocking reports whether a finding of severity s means sign-in fails or
// will fail.
func blocking(s domain.Severity) bool {
	return s == domain.SeverityError || s == domain.SeverityWarning
}

// personKey identifies the person a finding is about.
func personKey(f domain.Finding) string {
	if f.User != nil && f.User.ID != "" {
		return f.User.ID
	}
	return cmp.Or(f.Key, strings.ToLower(f.Subject))
}

// blockedPeople counts the distinct people with a blocking finding. When a
// blocking kind's open count exceeds the findings listed for it, the count
// is at least that open count and atLeast is set.
func blockedPeople(a Audit) (people int, atLeast bool) {
	seen := map[string]bool{}
	listed := map[domain.FindingKind]int{}
	kindBlocks := map[domain.FindingKind]bool{}
	for _, f := range a.Findings {
		if !personKind(f.Kind) {
			continue
		}
		listed[f.Kind]++
		if blocking(f.Severity) {
			kindBlocks[f.Kind] = true
			seen[personKey(f)] = true
		}
	}
	people = len(seen)
	for k, n := range a.Counts {
		if !personKind(k) || n <= listed[k] {
			continue
		}
		// A kind with no finding listed counts as blocking: its findings
		// are unknown, and person kinds are errors or warnings but for one.
		if kindBlocks[k] || listed[k] == 0 {
			atLeast = true
			people = max(people, n)
		}
	}
	return people, atLeast
}

// causes groups the person findings by kind, with each kind's remedy once.
func causes(a Audit, prev *RunSummary) []Cause {
	byKind := map[domain.FindingKind][]domain.Finding{}
	for _, f := range a.Findings {
		if personKind(f.Kind) {
			byKind[f.Kind] = append(byKind[f.Kind], f)
		}
	}
	for k, n := range a.Counts {
		if personKind(k) && n > 0 && byKind[k] == nil {
			byKind[k] = []domain.Finding{}
		}
	}
	out := make([]Cause, 0, len(byKind))
	for k, fs := range byKind {
		c := cause(k, fs)
		c.Open = a.Counts[k]
		if prev != nil {
			c.HasPrevious, c.Change = true, c.Open-prev.Open[k]
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y Cause) int {
		return cmp.Or(cmp.Compare(y.Blocks(), x.Blocks()), cmp.Compare(x.Severity.Rank(), y.Severity.Rank()),
			cmp.Compare(x.Kind, y.Kind))
	})
	return out
}

func cause(k domain.FindingKind, fs []domain.Finding) Cause {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(x, y domain.Finding) int {
		return cmp.Or(cmp.Compare(x.Severity.Rank(), y.Severity.Rank()),
			cmp.Compare(strings.ToLower(x.Subject), strings.ToLower(y.Subject)))
	})
	c := Cause{Kind: k, Title: Title(k), Severity: domain.SeverityError, People: []Person{}}
	if len(fs) > 0 {
		c.Severity = fs[0].Severity
	}
	seen := map[string]bool{}
	remedies := map[string]int{}
	for _, f := range fs {
		key := personKey(f)
		if seen[key] {
			continue
		}
		seen[key] = true
		p := Person{UPN: f.Subject, EmailClaim: f.EmailClaim, Severity: f.Severity, Remedy: f.Remedy}
		if f.User != nil {
			p.UPN, p.DisplayName, p.Mail = cmp.Or(f.User.UserPrincipalName, f.Subject), f.User.DisplayName, f.User.Mail
		}
		c.People = append(c.People, p)
		if f.Remedy != "" {
			remedies[f.Remedy]++
			if remedies[f.Remedy] > remedies[c.Remedy] {
				c.Remedy = f.Remedy
			}
		}
	}
	return c
}

// Blocks is how many people the cause blocks: its open count, or the people
// listed when there are more of them; none for a cause of severity info.
func (c Cause) Blocks() int {
	if !blocking(c.Severity) {
		return 0
	}
	return max(c.Open, len(c.People))
}

// health completes the app health: certificates' days left and state, and
// the run's findings that are not about a person.
func health(h Health, fs []domain.Finding, now time.Time) Health {
	h.Certificates = slices.Clone(h.Certificates)
	for i := range h.Certificates {
		c := &h.Certificates[i]
		c.DaysLeft = int(c.NotAfter.Sub(now).Hours() / 24)
		switch {
		case !c.NotAfter.After(now):
			c.State = "expired"
		case c.DaysLeft <= h.RotateBeforeDays:
			c.State = "due"
		default:
			c.State = "ok"
		}
	}
	slices.SortStableFunc(h.Certificates, func(x, y Certificate) int { return x.NotAfter.Compare(y.NotAfter) })
	h.AppFindings = nil
	for _, f := range fs {
		if !personKind(f.Kind) {
			h.AppFindings = append(h.AppFindings, Issue{Kind: f.Kind, Severity: f.Severity, Subject: f.Subject, Summary: f.Summary, Remedy: f.Remedy})
		}
	}
	return h
}

// DriftChecks turns app drift findings (domain.FindingAppDrift, as the
// provision job's Drift returns them) into drift checks: one per finding,
// or one passing check when there is none.
func DriftChecks(fs []domain.Finding) []DriftCheck {
	var out []DriftCheck
	for _, f := range fs {
		if f.Kind != domain.FindingAppDrift {
			continue
		}
		name, _ := f.Details["setting"].(string)
		out = append(out, DriftCheck{Name: cmp.Or(name, f.Subject), State: CheckDrift, Severity: f.Severity, Detail: f.Summary, Remedy: f.Remedy})
	}
	if len(out) == 0 {
		out = []DriftCheck{{Name: "App configuration", State: CheckOK, Detail: "matches the desired state"}}
	}
	return out
}

// Title names a finding kind for people.
func Title(k domain.FindingKind) string {
	switch k {
	case domain.FindingUPNMismatch:
		return "UPN differs from mail"
	case domain.FindingMailMissing:
		return "No mail address"
	case domain.FindingGuestUPN:
		return "Guest #EXT# UPN sent as the email"
	case domain.FindingUserDisabled:
		return "Account disabled"
	case domain.FindingUserNotAssigned:
		return "Not assigned to the Aircall app"
	case domain.FindingUserNotFound:
		return "No such user in the tenant"
	case domain.FindingAppDrift:
		return "App configuration drift"
	case domain.FindingCertExpiring:
		return "Signing certificate expiring"
	case domain.FindingCertChanged:
		return "Signing certificate changed"
	case domain.FindingMetadataInvalid:
		return "Federation metadata invalid"
	case domain.FindingMetadataChanged:
		return "Federation metadata changed"
	}
	return string(k)
}
