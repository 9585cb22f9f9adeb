package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Which app is ours (docs/security.md): the app provision created, or the one
// an operator adopted explicitly, is pinned by its ids in Blob; every job
// resolves the app by the pinned appId only and refuses it unless the
// deployment's identity owns both its objects. Apps that merely look like
// ours (tag, identifier URI, display name) are reported, never used.

// PinnedAppSource is the domain.PinnedAppFunc every job that reads the app
// is given: the pinned app, checked against APP_ID (appIDSetting).
func PinnedAppSource(pins domain.PinStore, appIDSetting string) domain.PinnedAppFunc {
	return func(ctx context.Context) (domain.PinnedApp, error) {
		pin, _, err := pins.LoadPin(ctx)
		if domain.IsCode(err, domain.ENOTFOUND) {
			return domain.PinnedApp{}, domain.NotPinned(appIDSetting)
		}
		if err != nil {
			return domain.PinnedApp{}, wrap(err, "read the pinned app")
		}
		return pin, domain.CheckPin(pin, appIDSetting)
	}
}

// PinnedApp is the job's domain.PinnedAppFunc (PinnedAppSource over its
// Pins and AppID).
func (j *Job) PinnedApp(ctx context.Context) (domain.PinnedApp, error) {
	if j.Pins == nil {
		return domain.PinnedApp{}, domain.Errorf(domain.EINTERNAL, "provision has no pin store wired")
	}
	return PinnedAppSource(j.Pins, j.AppID)(ctx)
}

// ownerID is the object id that must own the app.
func (j *Job) ownerID(ctx context.Context) (string, error) {
	if j.Owner == nil {
		return "", domain.Errorf(domain.EINTERNAL, "provision has no owner identity wired (%s)", domain.SettingAppOwner)
	}
	id, err := j.Owner(ctx)
	if err != nil {
		return "", err
	}
	if !domain.IsGUID(id) {
		return "", domain.FieldError(domain.SettingAppOwner, "must be an object id (GUID), got %q", id)
	}
	return strings.ToLower(id), nil
}

// pinState loads the pin and decides which appId to read: the adopted one,
// else the pinned one; "" when the app is to be created.
func (j *Job) pinState(ctx context.Context, st *State, adopt string) (string, error) {
	if j.Pins == nil {
		return "", domain.Errorf(domain.EINTERNAL, "provision has no pin store wired: refusing to guess which app is ours")
	}
	pin, etag, err := j.Pins.LoadPin(ctx)
	switch {
	case err == nil:
		st.Pin, st.PinETag = &pin, etag
	case !domain.IsCode(err, domain.ENOTFOUND):
		return "", wrap(err, "read the pinned app")
	}
	if adopt != "" {
		if !domain.IsGUID(adopt) {
			return "", domain.FieldError("--adopt", "must be the appId (a GUID) of the app to adopt, got %q", adopt)
		}
		if j.AppID != "" && !strings.EqualFold(j.AppID, adopt) {
			return "", domain.FieldError("APP_ID", "is %s but --adopt names %s: adopt the app APP_ID names, or change APP_ID", j.AppID, adopt)
		}
		return strings.ToLower(adopt), nil
	}
	if st.Pin == nil {
		if j.AppID != "" {
			return "", domain.NotPinned(j.AppID)
		}
		return "", nil
	}
	if err := domain.CheckPin(*st.Pin, j.AppID); err != nil {
		return "", err
	}
	return st.Pin.AppID, nil
}

// readPinned reads the app with appID and checks it against the pin and its
// owners; an unowned app is refused unless it is being adopted.
func (j *Job) readPinned(ctx context.Context, st *State, appID string, adopting bool) error {
	app, err := j.Directory.FindApp(ctx, domain.AppLookup{AppID: appID})
	if domain.IsCode(err, domain.ENOTFOUND) && !adopting {
		return domain.Wrap(domain.ENOTFOUND, err, "the pinned Aircall app %s is gone: an operator adopts another with `handler provision --adopt <appId>`", appID)
	}
	if err != nil {
		return wrap(err, "read the Aircall app "+appID)
	}
	if !adopting && (!strings.EqualFold(app.ObjectID, st.Pin.ObjectID) || !strings.EqualFold(app.ServicePrincipalID, st.Pin.ServicePrincipalID)) {
		return domain.Errorf(domain.ECONFLICT, "the app with the pinned appId %s has object ids %s/%s, not the pinned %s/%s: an operator re-pins it with `handler provision --adopt %s`",
			appID, app.ObjectID, app.ServicePrincipalID, st.Pin.ObjectID, st.Pin.ServicePrincipalID, appID)
	}
	owners, err := j.Directory.Owners(ctx, app.ObjectID, app.ServicePrincipalID)
	if err != nil {
		return wrap(err, "read the owners of the Aircall app")
	}
	ownedErr := domain.CheckOwned(app.AppID, owners.Application, owners.ServicePrincipal, st.OwnerID)
	if ownedErr != nil && !adopting {
		return ownedErr
	}
	st.App, st.Unowned = &app, ownedErr != nil
	st.Adopt = adopting && (st.Pin == nil || !strings.EqualFold(st.Pin.AppID, app.AppID) || st.Unowned ||
		!strings.EqualFold(st.Pin.ServicePrincipalID, app.ServicePrincipalID))
	return nil
}

// lookAlikeRefusal is Apply's answer when the app is to be created while
// look-alikes exist: provision never adopts one as a side effect, and does
// not add a second app next to what may be the real one.
func lookAlikeRefusal(ls []domain.LookAlike) error {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %q (%s)", l.AppID, l.DisplayName, strings.Join(l.Why, ", "))
	}
	return domain.Errorf(domain.ECONFLICT, "no Aircall app is pinned yet and %d app(s) look like it: %s. Provision never adopts an app by its tag or name, "+
		"and creates nothing while one exists. If one of them is yours, an operator adopts it: `handler provision --adopt <appId>`; "+
		"otherwise remove the look-alikes (or their tag) and run provision again. Nothing was changed.", len(ls), b.String())
}

// savePin records the app (and its claims policy) in the pin document.
func (e *executor) savePin(ctx context.Context, origin string) error {
	app := e.st.App
	pin := domain.PinnedApp{AppID: strings.ToLower(app.AppID), ObjectID: app.ObjectID, ServicePrincipalID: app.ServicePrincipalID,
		Origin: origin, PinnedAt: e.j.now().UTC()}
	if old := e.st.Pin; old != nil {
		if strings.EqualFold(old.AppID, pin.AppID) {
			pin.ClaimsPolicyID = old.ClaimsPolicyID
			if origin == "" {
				pin.Origin, pin.PinnedAt = old.Origin, old.PinnedAt
			}
		}
	}
	if e.st.Claim.PolicyID != "" {
		pin.ClaimsPolicyID = e.st.Claim.PolicyID
	}
	etag, err := e.j.Pins.SavePin(ctx, pin, e.st.PinETag)
	if err != nil {
		return wrap(err, "record the pinned app")
	}
	e.st.Pin, e.st.PinETag = &pin, etag
	return nil
}

// owner makes the deployment's identity an owner of both objects (a no-op
// when the identity that instantiated the app is that identity).
func (e *executor) owner(ctx context.Context, s Step, app *domain.App) (Step, error) {
	owners, err := e.j.Directory.Owners(ctx, app.ObjectID, app.ServicePrincipalID)
	if err != nil {
		return s, err
	}
	if domain.CheckOwned(app.AppID, owners.Application, owners.ServicePrincipal, e.st.OwnerID) == nil {
		s.After = e.st.OwnerID + " (already an owner)"
		e.st.Unowned = false
		return s, nil
	}
	if err := e.j.Directory.AddOwner(ctx, app.ObjectID, app.ServicePrincipalID, e.st.OwnerID); err != nil {
		return s, err
	}
	e.st.Unowned = false
	s.After = e.st.OwnerID
	return s, nil
}

// OperatorStep reports whether s needs a permission the default deployment
// does not give the Function App's identity (docs/security.md): the claims
// mapping policy, assignments, and adding an owner to an existing app. The
// HTTP provision plans these and answers which command applies them.
func OperatorStep(s Step, st State) bool {
	switch s.Kind {
	case StepEmailClaim, StepAssign:
		return true
	case StepOwner:
		return st.App != nil
	}
	return false
}
