package provision

import (
	"context"
	"log/slog"
	"strings"
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
	ctx, release, err := j.lock(ctx)
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
			if lost := domain.LeaseLost(ctx); lost != nil {
				return nil, stepError(lost, s, done, steps[i:], ex.appID())
			}
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
