// Package diagnose is the one-user diagnosis job: given a UPN or email address
// (from a help-desk ticket or an operator), it finds out whether that person
// can sign in to Aircall through Entra ID and, when not, why and what to do.
// It checks that the user exists, is enabled and assigned (directly or
// through a direct group), compares UPN and mail, works out the exact value
// of the email claim Aircall receives, and adds the app-wide checks (app
// drift, signing certificate) it is given. The answer is a verdict, a short
// text fit for a ticket comment and the facts as JSON; unless the user is
// fine, the findings go to the remediation queue with the ticket reference in
// their subject.
//
// It reads through domain ports only and decides with package rules, like
// the audit job. It must not know about HTTP, webhooks, envelopes or SDKs,
// and never changes the directory.
package diagnose

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
	"github.com/identity-ops/aircall-entra-sso/handler/swr"
)

// DefaultAppFactsTTL is how long the claim configuration and the results of
// app-wide checks are reused between diagnoses.
const DefaultAppFactsTTL = time.Minute

// Job diagnoses one user at a time; it is safe for concurrent use.
type Job struct {
	// Directory looks the user up. Required.
	Directory domain.UserDirectory
	// Events receives the remediation events; nil enqueues nothing.
	Events domain.EventSink
	// Checks are the app-wide checks by name (domain.CheckAppDrift,
	// domain.CheckCertificate); a failing check is reported as failed, it
	// does not fail the diagnosis.
	Checks map[string]domain.AppCheck
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AppFactsTTL overrides DefaultAppFactsTTL when positive.
	AppFactsTTL time.Duration
	// Aircall is the snapshot of Aircall's users the audit keeps; nil: the
	// Aircall checks are off (the text says so). AircallTTL overrides
	// DefaultAircallTTL when positive.
	Aircall    domain.AircallSnapshotStore
	AircallTTL time.Duration

	factsOnce   sync.Once
	facts       *swr.Value[*appFacts]
	aircallOnce sync.Once
	aircall     *swr.Value[*aircallView]
}

// Request asks for one diagnosis.
type Request struct {
	// User is the UPN or email address to diagnose.
	User string
	// Ticket is the ticketing system's reference; it goes into each
	// finding's Ticket and event subject.
	Ticket string
	// Source names who asked, e.g. "zendesk" or "cli".
	Source string
	// DryRun diagnoses without enqueuing events.
	DryRun bool
}

// Verdict sums a diagnosis up.
type Verdict string

// Verdicts.
const (
	// VerdictOK: nothing on the Entra ID side stops the sign-in.
	VerdictOK Verdict = "ok"
	// VerdictAtRisk: sign-in works only if the person's Aircall email is
	// exactly the claim value (warnings only).
	VerdictAtRisk Verdict = "at-risk"
	// VerdictBlocked: sign-in fails; see the findings.
	VerdictBlocked Verdict = "blocked"
	// VerdictNotFound: no such user in the tenant.
	VerdictNotFound Verdict = "not-found"
)

// Diagnosis is the answer: what a person reads (Text) and what a program
// reads (the rest).
type Diagnosis struct {
	User     string           `json:"user"`
	Ticket   string           `json:"ticket,omitempty"`
	Source   string           `json:"source,omitempty"`
	Verdict  Verdict          `json:"verdict"`
	Text     string           `json:"text"`
	Facts    Facts            `json:"facts"`
	Findings []domain.Finding `json:"findings"`
	// Enqueued holds the ids of the remediation events sent.
	Enqueued  []string  `json:"enqueued"`
	CheckedAt time.Time `json:"checkedAt"`
}

// Facts are what the diagnosis found out.
type Facts struct {
	Exists            bool               `json:"exists"`
	ObjectID          string             `json:"objectId,omitempty"`
	UserPrincipalName string             `json:"userPrincipalName,omitempty"`
	Mail              string             `json:"mail,omitempty"`
	UserType          string             `json:"userType,omitempty"`
	Enabled           *bool              `json:"enabled,omitempty"`
	Assignment        *domain.Assignment `json:"assignment,omitempty"`
	UPNMatchesMail    *bool              `json:"upnMatchesMail,omitempty"`
	// Claim is the app's emailaddress claim configuration.
	Claim domain.ClaimConfig `json:"claim"`
	// EmailClaim is the exact value Aircall receives; empty when no claim is sent.
	EmailClaim string `json:"emailClaim"`
	// AppChecks reports each app-wide check.
	AppChecks []CheckResult `json:"appChecks"`
	// Aircall is Aircall's side: whether an Aircall user has the claim value.
	Aircall *AircallFacts `json:"aircall,omitempty"`
}

// CheckResult is the outcome of one app-wide check.
type CheckResult struct {
	Name string `json:"name"`
	// Status is "ok", "problem" or "failed" (the check itself could not run).
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Diagnose diagnoses req.User. An unknown user is a diagnosis (VerdictNotFound),
// not an error; errors come from the directory (EUPSTREAM, EUNAVAILABLE,
// EFORBIDDEN), from an empty user (EINVALID), or from the event sink
// (EUNAVAILABLE: the caller may retry, events are deduplicated).
func (j *Job) Diagnose(ctx context.Context, req Request) (*Diagnosis, error) {
	key := strings.TrimSpace(req.User)
	if key == "" {
		return nil, domain.FieldError("user", "is empty: give the UPN or email address of the person who cannot sign in")
	}
	now := j.now()
	d := &Diagnosis{User: key, Ticket: req.Ticket, Source: req.Source, CheckedAt: now, Findings: []domain.Finding{}, Enqueued: []string{}}

	// The user and the shared facts are independent: fetch them together.
	var (
		sh   shared
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		sh = j.shared(ctx)
	}()
	u, assign, err := j.Directory.FindUser(ctx, key)
	<-done
	notFound := domain.IsCode(err, domain.ENOTFOUND)
	if err != nil && !notFound {
		return nil, wrap(err, "look up %s in Entra ID", key)
	}
	if sh.appErr != nil {
		return nil, sh.appErr
	}
	app := sh.app

	rc := rules.Context{Assignment: assign.Kind, ClaimSource: app.claim.Source, Now: now}
	d.Facts.Claim = app.claim
	d.Facts.AppChecks = app.results
	if notFound {
		d.Findings = append(d.Findings, rules.NotFound(key, rc))
	} else {
		enabled, same := u.AccountEnabled, domain.SameAddress(u.UserPrincipalName, u.Mail)
		d.Facts.Exists = true
		d.Facts.ObjectID, d.Facts.UserPrincipalName, d.Facts.Mail, d.Facts.UserType = u.ID, u.UserPrincipalName, u.Mail, u.UserType
		d.Facts.Enabled, d.Facts.Assignment, d.Facts.UPNMatchesMail = &enabled, &assign, &same
		d.Facts.EmailClaim = u.EmailClaim(rc.ClaimSource)
		d.Findings = append(d.Findings, rules.Evaluate(u, rc)...)
		var air []domain.Finding
		d.Facts.Aircall, air = aircallSide(sh.aircall, sh.aircallErr, u, assign.Kind, rc.ClaimSource, now)
		d.Findings = append(d.Findings, air...)
	}
	for _, f := range app.findings {
		f.ObservedAt = now
		d.Findings = append(d.Findings, f)
	}
	subject := ""
	if req.Ticket != "" {
		who := key
		if !notFound {
			who = u.UserPrincipalName
		}
		subject = "ticket/" + req.Ticket + "/user/" + who
	}
	for i := range d.Findings {
		d.Findings[i].Ticket = req.Ticket
		if subject != "" {
			d.Findings[i].Subject = subject
		}
	}
	d.Verdict = verdict(notFound, d.Findings)
	d.Text = text(d)

	if d.Verdict != VerdictOK && j.Events != nil && !req.DryRun {
		if err := j.enqueue(ctx, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// shared are the facts every diagnosis shares: the app facts and the copy
// of Aircall's users, each cached (package swr) and read at once.
type shared struct {
	app        *appFacts
	appErr     error
	aircall    *aircallView
	aircallErr error
}

func (j *Job) shared(ctx context.Context) shared {
	var sh shared
	done := make(chan struct{})
	go func() {
		defer close(done)
		sh.aircall, sh.aircallErr = j.aircallView(ctx)
	}()
	sh.app, sh.appErr = j.appFacts(ctx)
	<-done
	return sh
}

// enqueue publishes one remediation event per blocking finding of d and
// records their ids in d.Enqueued.
func (j *Job) enqueue(ctx context.Context, d *Diagnosis) error {
	var blocking []domain.Finding
	for _, f := range d.Findings {
		if rules.Blocking([]domain.Finding{f}) {
			blocking = append(blocking, f)
		}
	}
	events, err := domain.NewEvents(blocking)
	if err != nil {
		return err
	}
	if err := j.Events.Publish(ctx, events); err != nil {
		return domain.Wrap(domain.EUNAVAILABLE, err, "the diagnosis is done but its remediation event could not be queued: retry the request (events are deduplicated)")
	}
	for _, e := range events {
		d.Enqueued = append(d.Enqueued, e.ID)
	}
	return nil
}

func verdict(notFound bool, fs []domain.Finding) Verdict {
	if notFound {
		return VerdictNotFound
	}
	v := VerdictOK
	for _, f := range fs {
		switch f.Severity {
		case domain.SeverityError:
			return VerdictBlocked
		case domain.SeverityWarning:
			v = VerdictAtRisk
		}
	}
	return v
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now().UTC()
	}
	return time.Now().UTC()
}

// wrap keeps a domain error's code (so a 403 for a missing Graph permission
// stays a 403) and adds what we were doing.
func wrap(err error, format string, args ...any) error {
	code := domain.ErrorCode(err)
	if code == domain.EINTERNAL || code == domain.ENOTFOUND {
		code = domain.EUPSTREAM
	}
	return domain.Wrap(code, err, "%s: %s", fmt.Sprintf(format, args...), domain.ErrorMessage(err))
}
