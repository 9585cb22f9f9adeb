package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
)

// LockName is the domain.Lock name provision runs hold.
const LockName = "provision"

// Job plans and applies the Aircall app configuration.
type Job struct {
	Directory domain.AppDirectory
	// Lock stops two runs from applying at once (a blob lease in Azure).
	Lock domain.Lock
	// Desired is the configured desired state; a Request may override the
	// display name and add principals to assign.
	Desired Desired
	// Tenant is the directory (tenant) id; LoginAuthority serves federation
	// metadata (default https://login.microsoftonline.com).
	Tenant         string
	LoginAuthority string
	// AppID pins the app by appId when set (APP_ID).
	AppID string
	// LockTTL is the lease length, renewed while applying (default 60 s);
	// LockWait is how long a run waits for another to finish (default 30 s)
	// before answering ECONFLICT.
	LockTTL  time.Duration
	LockWait time.Duration
	Log      *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Request is one provision call.
type Request struct {
	// DryRun plans without changing anything.
	DryRun bool `json:"dryRun"`
	// DisplayName overrides the configured display name (for creation and
	// lookup of an untagged app).
	DisplayName string `json:"displayName,omitempty"`
	// Assign adds principals (user or group object ids) to the configured ones.
	Assign []string `json:"assign,omitempty"`
}

// AppIDs are the ids an administrator and Aircall need.
type AppIDs struct {
	Tenant             string `json:"tenantId"`
	DisplayName        string `json:"displayName"`
	AppID              string `json:"appId"`
	ObjectID           string `json:"objectId"`
	ServicePrincipalID string `json:"servicePrincipalId"`
}

// Result is the answer to a provision call.
type Result struct {
	DryRun bool `json:"dryRun"`
	// Status is "planned", "applied" or "up-to-date".
	Status string `json:"status"`
	// App is nil on a dry run when the app does not exist yet.
	App *AppIDs `json:"app,omitempty"`
	// Steps are the planned steps (dry run) or the applied ones.
	Steps []Step `json:"steps"`
	// FederationMetadataURL is the link Aircall needs.
	FederationMetadataURL string `json:"federationMetadataUrl,omitempty"`
	// NextStep says what to do now.
	NextStep string `json:"nextStep"`
}

// Result statuses.
const (
	StatusPlanned  = "planned"
	StatusApplied  = "applied"
	StatusUpToDate = "up-to-date"
)

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

func (j *Job) log() *slog.Logger {
	if j.Log != nil {
		return j.Log
	}
	return slog.Default()
}

// desired merges the request into the configured desired state.
func (j *Job) desired(req Request) (Desired, error) {
	d := j.Desired
	if strings.TrimSpace(req.DisplayName) != "" {
		d.DisplayName = req.DisplayName
	}
	d.Assign = append(append([]string(nil), d.Assign...), req.Assign...)
	if err := d.Validate(); err != nil {
		return Desired{}, err
	}
	return d.withDefaults(), nil
}

// Run plans (req.DryRun) or applies.
func (j *Job) Run(ctx context.Context, req Request) (*Result, error) {
	if req.DryRun {
		return j.Plan(ctx, req)
	}
	return j.Apply(ctx, req)
}

// Plan reads the tenant and returns the plan without changing anything.
func (j *Job) Plan(ctx context.Context, req Request) (*Result, error) {
	d, err := j.desired(req)
	if err != nil {
		return nil, err
	}
	st, err := j.state(ctx, d)
	if err != nil {
		return nil, err
	}
	steps := MakePlan(d, st, j.now())
	res := &Result{DryRun: true, Status: StatusPlanned, Steps: steps}
	if len(steps) == 0 {
		res.Status, res.Steps = StatusUpToDate, []Step{}
	}
	if st.App != nil {
		j.describeApp(res, *st.App)
	}
	switch {
	case st.App == nil:
		res.NextStep = "The Aircall app does not exist yet: run provision without dryRun (POST /api/provision {\"dryRun\":false} or `handler provision`) to create and configure it."
	case len(steps) > 0:
		res.NextStep = "Review the plan, then run provision without dryRun to apply it."
	}
	return res, nil
}

// Apply converges the tenant: under the provision lock it reads the state,
// plans, and runs the steps in order. A failed step stops the run with an
// error that names the steps done and the steps left; a later run completes
// them.
func (j *Job) Apply(ctx context.Context, req Request) (*Result, error) {
	d, err := j.desired(req)
	if err != nil {
		return nil, err
	}
	release, err := j.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := j.state(ctx, d)
	if err != nil {
		return nil, err
	}
	steps := MakePlan(d, st, j.now())
	hadActiveCert := st.App != nil && st.App.PreferredThumbprint != ""
	ex := &executor{j: j, d: d, st: st}
	var done []Step
	for i, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, stepError(domain.Wrap(domain.EUNAVAILABLE, err, "provision was cancelled"), s, done, steps[i:], ex.appID())
		}
		applied, err := ex.run(ctx, s)
		if err != nil {
			j.log().Warn("provision step failed", "step", string(s.Kind), "code", string(domain.ErrorCode(err)), "error", err.Error())
			return nil, stepError(err, s, done, steps[i:], ex.appID())
		}
		j.log().Info("provision step applied", "step", string(applied.Kind), "setting", applied.Setting, "after", applied.After)
		done = append(done, applied)
	}
	res := &Result{Status: StatusApplied, Steps: done}
	if len(done) == 0 {
		res.Status = StatusUpToDate
		res.Steps = []Step{}
	}
	j.describeApp(res, *ex.st.App)
	if hadActiveCert && ex.certChanged {
		res.NextStep = "The active SAML signing certificate changed: send Aircall the new federation metadata (federationMetadataUrl) now, or sign-in to Aircall fails until they update it."
	}
	return res, nil
}

func (j *Job) describeApp(res *Result, app domain.App) {
	res.App = &AppIDs{Tenant: j.Tenant, DisplayName: app.DisplayName, AppID: app.AppID, ObjectID: app.ObjectID, ServicePrincipalID: app.ServicePrincipalID}
	res.FederationMetadataURL = fedmeta.MetadataURL(j.LoginAuthority, app.Ref(j.Tenant))
	if res.NextStep == "" {
		res.NextStep = "Send Aircall the federation metadata link (federationMetadataUrl), or the XML it serves, so Aircall can complete the SAML connection; then sign in to Aircall with an assigned user."
	}
}

// state reads the app, its claim configuration and its assignments.
func (j *Job) state(ctx context.Context, d Desired) (State, error) {
	app, err := j.Directory.FindApp(ctx, domain.AppLookup{AppID: j.AppID, DisplayName: d.DisplayName})
	if domain.IsCode(err, domain.ENOTFOUND) {
		if j.AppID != "" {
			return State{}, domain.Wrap(domain.ENOTFOUND, err, "no app has the appId %s set in APP_ID: clear APP_ID to let provision create the app", j.AppID)
		}
		return State{}, nil
	}
	if err != nil {
		return State{}, wrap(err, "find the Aircall app")
	}
	claim, err := j.Directory.EmailClaim(ctx, app.ServicePrincipalID)
	if err != nil {
		return State{}, wrap(err, "read the app's emailaddress claim")
	}
	var assigned []domain.AppAssignment
	if len(d.Assign) > 0 {
		if assigned, err = j.Directory.Assignments(ctx, app.ServicePrincipalID); err != nil {
			return State{}, wrap(err, "read the app's assignments")
		}
	}
	return State{App: &app, Claim: claim, Assignments: assigned}, nil
}

// lock takes the provision lock, waiting up to LockWait for another run,
// and renews it until the returned release is called.
func (j *Job) lock(ctx context.Context) (func(), error) {
	if j.Lock == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "provision has no lock wired: refusing to apply without one")
	}
	ttl, wait := j.LockTTL, j.LockWait
	if ttl <= 0 {
		ttl = 60 * time.Second
	}
	if wait <= 0 {
		wait = 30 * time.Second
	}
	deadline := time.Now().Add(wait)
	delay := 50 * time.Millisecond
	var lease domain.Lease
	for {
		l, err := j.Lock.Acquire(ctx, LockName, ttl)
		if err == nil {
			lease = l
			break
		}
		if !domain.IsCode(err, domain.ECONFLICT) {
			return nil, wrap(err, "take the provision lock")
		}
		if time.Now().Add(delay).After(deadline) {
			return nil, domain.Wrap(domain.ECONFLICT, err, "another provision run is in progress and did not finish within %s; try again in a minute", wait)
		}
		select {
		case <-ctx.Done():
			return nil, domain.Wrap(domain.EUNAVAILABLE, ctx.Err(), "cancelled while waiting for another provision run")
		case <-time.After(delay + time.Duration(rand.Int64N(int64(delay)))):
		}
		if delay < time.Second {
			delay *= 2
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := lease.Renew(context.WithoutCancel(ctx)); err != nil {
					j.log().Warn("could not renew the provision lock", "error", err.Error())
				}
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := lease.Release(rctx); err != nil {
			j.log().Warn("could not release the provision lock (it expires by itself)", "error", err.Error())
		}
	}, nil
}

// executor runs steps, carrying the app as it changes.
type executor struct {
	j           *Job
	d           Desired
	st          State
	newThumb    string
	certChanged bool
}

func (e *executor) appID() string {
	if e.st.App == nil {
		return ""
	}
	return e.st.App.AppID
}

func (e *executor) run(ctx context.Context, s Step) (Step, error) {
	dir := e.j.Directory
	app := e.st.App
	if app == nil && s.Kind != StepCreateApp {
		return s, domain.Errorf(domain.EINTERNAL, "step %s planned without an app", s.Kind)
	}
	switch s.Kind {
	case StepCreateApp:
		created, err := dir.Instantiate(ctx, e.d.DisplayName)
		if err != nil {
			return s, err
		}
		e.st.App = &created
		s.After = fmt.Sprintf("%q appId %s", created.DisplayName, created.AppID)
	case StepTag:
		if err := dir.PatchApplication(ctx, app.ObjectID, domain.ApplicationPatch{Tags: withTag(app.Tags)}); err != nil {
			return s, err
		}
		app.Tags = withTag(app.Tags)
		if err := dir.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{Tags: withTag(app.ServicePrincipalTags)}); err != nil {
			return s, err
		}
		app.ServicePrincipalTags = withTag(app.ServicePrincipalTags)
	case StepSSOMode:
		mode := domain.SSOModeSAML
		if err := dir.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{SSOMode: &mode}); err != nil {
			return s, err
		}
		app.SSOMode = mode
	case StepIdentifierURI:
		if err := dir.PatchApplication(ctx, app.ObjectID, domain.ApplicationPatch{IdentifierURIs: []string{e.d.EntityID}}); err != nil {
			return s, err
		}
		app.IdentifierURIs = []string{e.d.EntityID}
	case StepReplyURL:
		if err := dir.PatchApplication(ctx, app.ObjectID, domain.ApplicationPatch{RedirectURIs: []string{e.d.ReplyURL}}); err != nil {
			return s, err
		}
		app.RedirectURIs = []string{e.d.ReplyURL}
	case StepAddCertificate:
		c, err := dir.AddSigningCertificate(ctx, app.ServicePrincipalID, CertSubject(e.d.DisplayName), e.j.now().Add(e.d.CertLifetime))
		if err != nil {
			return s, err
		}
		app.Certificates = append(app.Certificates, c)
		e.newThumb = c.Thumbprint
		s.After = fmt.Sprintf("%s %s (expires %s)", c.Thumbprint, c.Subject, c.NotAfter.UTC().Format("2006-01-02"))
	case StepActivateCertificate:
		thumb := s.Thumbprint
		if thumb == "" {
			thumb = e.newThumb
		}
		if thumb == "" {
			return s, domain.Errorf(domain.EINTERNAL, "no certificate to make active")
		}
		if err := dir.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{PreferredThumbprint: &thumb}); err != nil {
			return s, err
		}
		app.PreferredThumbprint = thumb
		s.Thumbprint = thumb
		s.After = thumb
		e.certChanged = true
	case StepEmailClaim:
		st, err := dir.SetEmailClaim(ctx, app.ServicePrincipalID, e.d.ClaimSource, PolicyName(e.d.ClaimSource))
		if err != nil {
			return s, err
		}
		e.st.Claim = st
	case StepAssign:
		role := app.AssignableRoleID()
		a, err := dir.Assign(ctx, app.ServicePrincipalID, s.PrincipalID, role)
		if err != nil {
			return s, err
		}
		e.st.Assignments = append(e.st.Assignments, a)
		s.After = "assigned (role " + roleName(*app) + ")"
	default:
		return s, domain.Errorf(domain.EINTERNAL, "unknown step %q", s.Kind)
	}
	return s, nil
}

// stepError explains a failed step: Graph's reason, what an admin must do
// for a policy refusal, the steps already done and the steps left, keeping
// the error's code.
func stepError(err error, failed Step, done, left []Step, appID string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "step %s (%s %s) failed: %s", failed.Kind, failed.Target, failed.Setting, domain.ErrorMessage(err))
	var refused *domain.IdentifierURIRefusedError
	if errors.As(err, &refused) {
		b.WriteString(" ")
		b.WriteString(domain.IdentifierURIRemedy(appID))
	}
	if len(done) == 0 {
		b.WriteString(" Nothing was changed by this run.")
	} else {
		b.WriteString(" Already done: ")
		b.WriteString(kinds(done))
		b.WriteString(".")
	}
	b.WriteString(" Not done yet: ")
	b.WriteString(kinds(left))
	b.WriteString(". Run provision again once the cause is fixed: it continues from here.")
	return &domain.Error{Code: domain.ErrorCode(err), Message: b.String(), Err: err}
}

func kinds(steps []Step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = string(s.Kind)
		if s.PrincipalID != "" {
			parts[i] += " " + s.PrincipalID
		}
	}
	return strings.Join(parts, ", ")
}

// wrap prefixes a domain error's message with what was being done, keeping
// its code (EUPSTREAM for errors without one).
func wrap(err error, doing string) error {
	code := domain.ErrorCode(err)
	if code == domain.EINTERNAL {
		code = domain.EUPSTREAM
	}
	return &domain.Error{Code: code, Message: "could not " + doing + ": " + domain.ErrorMessage(err), Err: err}
}
