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
	// AppID (APP_ID), when set, must agree with the pinned app.
	AppID string
	// Pins holds the pinned app (Blob state/pinned-app.json).
	Pins domain.PinStore
	// Owner returns the object id that must own the app: APP_OWNER_OBJECT_ID,
	// else the oid of the running identity's Graph token.
	Owner func(ctx context.Context) (string, error)
	// Privileged is set when the Function App's identity was given the
	// opt-in permissions (GRAPH_PRIVILEGED): HTTP provision then applies the
	// operator steps too (docs/security.md).
	Privileged bool
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
	// Adopt is the appId of an existing app an operator adopts (`handler
	// provision --adopt`): never read from an HTTP body.
	Adopt string `json:"-"`
	// Operator is set by `handler provision` (an operator's identity): the
	// operator steps are applied too. Never read from an HTTP body.
	Operator bool `json:"-"`
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
	// OperatorSteps are planned steps this identity may not apply (HTTP
	// provision without GRAPH_PRIVILEGED): `handler provision` applies them.
	OperatorSteps []Step `json:"operatorSteps,omitempty"`
	// LookAlikes are apps that look like ours and are never used.
	LookAlikes []domain.LookAlike `json:"lookAlikes,omitempty"`
}

// OperatorCommand is what applies the operator steps.
const OperatorCommand = "`handler provision` run with an operator's Azure CLI login (az login), or the deploy workflow's identity"

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
	st, err := j.state(ctx, d, req.Adopt)
	if err != nil {
		return nil, err
	}
	steps := MakePlan(d, st, j.now())
	res := &Result{DryRun: true, Status: StatusPlanned, Steps: steps, LookAlikes: st.LookAlikes}
	if len(steps) == 0 {
		res.Status, res.Steps = StatusUpToDate, []Step{}
	}
	if st.App != nil {
		j.describeApp(res, *st.App)
	}
	switch {
	case st.App == nil && len(st.LookAlikes) > 0:
		res.NextStep = domain.ErrorMessage(lookAlikeRefusal(st.LookAlikes))
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
	st, err := j.state(ctx, d, req.Adopt)
	if err != nil {
		return nil, err
	}
	if st.App == nil && len(st.LookAlikes) > 0 {
		return nil, lookAlikeRefusal(st.LookAlikes)
	}
	steps, deferred := j.split(MakePlan(d, st, j.now()), st, req)
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
		if lost := domain.LeaseLost(ctx); err != nil && lost != nil {
			err = lost // the call was cut short because the lock was lost
		}
		if err != nil {
			j.log().Warn("provision step failed", "step", string(s.Kind), "code", string(domain.ErrorCode(err)), "error", err.Error())
			return nil, stepError(err, s, done, steps[i:], ex.appID())
		}
		j.log().Info("provision step applied", "step", string(applied.Kind), "setting", applied.Setting, "after", applied.After)
		done = append(done, applied)
	}
	res := &Result{Status: StatusApplied, Steps: done, OperatorSteps: deferred, LookAlikes: st.LookAlikes}
	if len(done) == 0 {
		res.Status = StatusUpToDate
		res.Steps = []Step{}
	}
	if len(deferred) > 0 {
		res.NextStep = "This identity may not apply " + kinds(deferred) + " (docs/security.md): apply them with " + OperatorCommand + "."
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

// split separates the steps this run may apply from the operator steps it
// only plans (HTTP provision without GRAPH_PRIVILEGED).
func (j *Job) split(steps []Step, st State, req Request) (apply, operator []Step) {
	if req.Operator || j.Privileged {
		return steps, nil
	}
	for _, s := range steps {
		if OperatorStep(s, st) {
			operator = append(operator, s)
		} else {
			apply = append(apply, s)
		}
	}
	return apply, operator
}

// state reads the pinned (or adopted) app, its owners, its claim
// configuration and its assignments, and the apps that look like it.
func (j *Job) state(ctx context.Context, d Desired, adopt string) (State, error) {
	var st State
	owner, err := j.ownerID(ctx)
	if err != nil {
		return State{}, err
	}
	st.OwnerID = owner
	appID, err := j.pinState(ctx, &st, adopt)
	if err != nil {
		return State{}, err
	}
	if st.LookAlikes, err = j.Directory.LookAlikes(ctx, appID, d.DisplayName); err != nil {
		return State{}, wrap(err, "look for apps that look like the Aircall app")
	}
	if appID == "" {
		return st, nil
	}
	if err := j.readPinned(ctx, &st, appID, adopt != ""); err != nil {
		return State{}, err
	}
	app := *st.App
	if st.Claim, err = j.Directory.EmailClaim(ctx, app.ServicePrincipalID); err != nil {
		return State{}, wrap(err, "read the app's emailaddress claim")
	}
	if len(d.Assign) > 0 {
		if st.Assignments, err = j.Directory.Assignments(ctx, app.ServicePrincipalID); err != nil {
			return State{}, wrap(err, "read the app's assignments")
		}
	}
	return st, nil
}
