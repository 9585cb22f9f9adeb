package domain

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// FindingAppLookAlike: another app in the tenant carries our tag, Aircall's
// identifier URI or our display name. It is reported, never used
// (docs/security.md, "Which app is ours").
const FindingAppLookAlike FindingKind = "app.look-alike"

// SettingAppOwner names the setting that says which identity must own the
// Aircall app (docs/security.md).
const SettingAppOwner = "APP_OWNER_OBJECT_ID"

// Pin origins.
const (
	PinCreated = "created" // provision instantiated the app
	PinAdopted = "adopted" // an operator ran `handler provision --adopt <appId>`
)

// PinnedApp is the one Aircall app this deployment manages: recorded by
// provision when it creates the app, or when an operator adopts one
// explicitly. Every job resolves the app by these ids only, never by tag or
// display name (docs/security.md, "Which app is ours").
type PinnedApp struct {
	AppID              string `json:"appId"`
	ObjectID           string `json:"objectId"`
	ServicePrincipalID string `json:"servicePrincipalId"`
	// ClaimsPolicyID is the claims mapping policy provision created for the
	// app ("" until then): found again by id, never through the tenant-wide
	// list (docs/provision.md, "Email claim").
	ClaimsPolicyID string    `json:"claimsPolicyId,omitempty"`
	Origin         string    `json:"origin"`
	PinnedAt       time.Time `json:"pinnedAt"`
}

// PinStore keeps the pinned app (Blob state/pinned-app.json): LoadPin
// answers ENOTFOUND when no app is pinned; SavePin creates when etag is ""
// and otherwise replaces only that version (ECONFLICT when it moved on).
type PinStore interface {
	LoadPin(ctx context.Context) (PinnedApp, string, error)
	SavePin(ctx context.Context, p PinnedApp, etag string) (string, error)
}

// PinnedAppFunc returns the pinned app, checked against APP_ID: the port
// the jobs that read the app (archive, audit, diagnose) are given. ENOTFOUND
// when nothing is pinned yet, EINVALID naming APP_ID when it disagrees.
type PinnedAppFunc func(ctx context.Context) (PinnedApp, error)

// CheckPin checks a loaded pin against the APP_ID setting (appIDSetting,
// "" when unset): the one rule every job applies.
func CheckPin(p PinnedApp, appIDSetting string) error {
	if appIDSetting != "" && !strings.EqualFold(p.AppID, appIDSetting) {
		return FieldError("APP_ID", "is %s but the pinned Aircall app is %s: clear APP_ID, or set it to the pinned appId (an operator moves the pin with `handler provision --adopt <appId>`)", appIDSetting, p.AppID)
	}
	return nil
}

// NotPinned is the error of a job that finds no pinned app.
func NotPinned(appIDSetting string) error {
	if appIDSetting != "" {
		return Errorf(ENOTFOUND, "no Aircall app is pinned yet and APP_ID is %s: an operator adopts it explicitly with `handler provision --adopt %s`", appIDSetting, appIDSetting)
	}
	return Errorf(ENOTFOUND, "no Aircall app is pinned yet: run provision (POST /api/provision with {\"dryRun\":false}, or `handler provision`) to create it, or adopt an existing one with `handler provision --adopt <appId>`")
}

// CheckOwned refuses an app whose owners (of the application or of the
// service principal) do not include ownerID, the identity the jobs run as.
// Application.ReadWrite.OwnedBy only covers owned apps, and an app we do not
// own may be someone else's (docs/security.md).
func CheckOwned(appID string, appOwners, spOwners []string, ownerID string) error {
	missing := []string{}
	if !hasFold(appOwners, ownerID) {
		missing = append(missing, "application")
	}
	if !hasFold(spOwners, ownerID) {
		missing = append(missing, "service principal")
	}
	if len(missing) == 0 {
		return nil
	}
	return &Error{Code: EFORBIDDEN, Message: fmt.Sprintf(
		"the Aircall app %s is not owned by this deployment's identity (%s %s, object id %s): its %s owners do not include it. "+
			"Refusing to use it: an operator restores ownership with `handler provision --adopt %s`, or corrects %s",
		appID, SettingAppOwner, "or the token's oid", ownerID, strings.Join(missing, " and "), appID, SettingAppOwner)}
}

// AppOwners are the object ids owning the application and its service
// principal.
type AppOwners struct {
	Application      []string `json:"application"`
	ServicePrincipal []string `json:"servicePrincipal"`
}

// LookAlike is an app that is not the pinned one but looks like it.
type LookAlike struct {
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName,omitempty"`
	// Why lists what matched: "tag …", "identifier URI …", "display name …".
	Why []string `json:"why"`
}

// LookAlikeFindings turns look-alikes into app.look-alike findings.
func LookAlikeFindings(ls []LookAlike, pinnedAppID string, now time.Time) []Finding {
	var out []Finding
	for _, l := range ls {
		pinned := "no app is pinned yet"
		if pinnedAppID != "" {
			pinned = "the pinned app is " + pinnedAppID
		}
		out = append(out, Finding{
			Kind: FindingAppLookAlike, Severity: SeverityWarning, Key: "app/look-alike/" + strings.ToLower(l.AppID),
			State: strings.Join(l.Why, "; "), Subject: "app/" + strings.ToLower(l.AppID),
			Summary: fmt.Sprintf("App %s (%q) looks like the Aircall app (%s) but is not the one this deployment manages; %s. It is never used.",
				l.AppID, l.DisplayName, strings.Join(l.Why, ", "), pinned),
			Remedy: "Check who registered it. If it is yours, delete it or rename it and remove the tag; if it is the app this deployment " +
				"should manage, an operator adopts it with `handler provision --adopt " + l.AppID + "`.",
			Details: map[string]any{"appId": l.AppID, "displayName": l.DisplayName, "why": l.Why}, ObservedAt: now.UTC(),
		})
	}
	return out
}
