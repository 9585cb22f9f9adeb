package provision

import (
	"context"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Drift plans without applying and reports each planned step as an app
// drift finding (domain.FindingAppDrift), for the audit and diagnose jobs.
// It takes no lock and changes nothing. A missing app is one finding.
func (j *Job) Drift(ctx context.Context) ([]domain.Finding, error) {
	res, err := j.Plan(ctx, Request{DryRun: true})
	if err != nil {
		return nil, err
	}
	now := j.now().UTC()
	looks := domain.LookAlikeFindings(res.LookAlikes, appIDOf(res), now)
	if res.App == nil {
		return append(looks, domain.Finding{
			Kind: domain.FindingAppDrift, Severity: domain.SeverityError, Key: "app/missing", State: "missing",
			Subject: "aircall-app", Summary: "The Aircall SAML enterprise app does not exist in the tenant.",
			Remedy: "Run provision (POST /api/provision with {\"dryRun\":false}, or `handler provision`) to create and configure it.", ObservedAt: now,
		}), nil
	}
	out := looks
	for _, s := range res.Steps {
		key := "app/" + res.App.AppID + "/" + string(s.Kind)
		if s.PrincipalID != "" {
			key += "/" + s.PrincipalID
		}
		f := domain.Finding{
			Kind: domain.FindingAppDrift, Severity: driftSeverity(s.Kind), Key: key, State: s.Before,
			Subject:    "aircall-app/" + res.App.AppID,
			Summary:    driftSummary(s),
			Remedy:     "Run provision (POST /api/provision with {\"dryRun\":false}, or `handler provision`) to apply: " + s.Setting + " → " + s.After + ".",
			Details:    map[string]any{"step": string(s.Kind), "target": s.Target, "setting": s.Setting, "before": s.Before, "after": s.After},
			ObservedAt: now,
		}
		if s.Kind == StepEmailClaim {
			f.Remedy += " Note: provision uses a claims mapping policy, which overrides the portal's Attributes & Claims blade for this app (see docs/provision.md)."
		}
		out = append(out, f)
	}
	return out, nil
}

func driftSeverity(k StepKind) domain.Severity {
	switch k {
	case StepAssign, StepTag, StepMyAppsTile:
		return domain.SeverityWarning
	case StepAddCertificate, StepActivateCertificate:
		return domain.SeverityWarning
	default:
		return domain.SeverityError
	}
}

func driftSummary(s Step) string {
	switch s.Kind {
	case StepSSOMode:
		return "The Aircall app is not in SAML single sign-on mode (preferredSingleSignOnMode is " + s.Before + ")."
	case StepIdentifierURI:
		return "The Aircall app's Identifier (Entity ID) is " + s.Before + ", not " + s.After + "."
	case StepReplyURL:
		return "The Aircall app's Reply URL is " + s.Before + ", not " + s.After + "."
	case StepAddCertificate:
		return "The Aircall app has no SAML signing certificate valid beyond the rotation threshold (" + s.Before + ")."
	case StepActivateCertificate:
		return "The Aircall app's active SAML signing certificate is " + s.Before + "; " + s.After + " should be active."
	case StepEmailClaim:
		return "The Aircall app's emailaddress claim comes from " + s.Before + ", not " + strings.SplitN(s.After, " ", 2)[0] + "."
	case StepAssign:
		return "Principal " + s.PrincipalID + " is not assigned to the Aircall app."
	case StepTag:
		return "The Aircall app is not tagged " + domain.ManagedTag + "."
	case StepMyAppsTile:
		return "The Aircall app's My Apps tile starts an IdP-initiated sign-in, which Aircall refuses: people must use Aircall's \"Sign in with SSO\" (" + s.Before + ")."
	}
	return s.String()
}

func appIDOf(res *Result) string {
	if res.App == nil {
		return ""
	}
	return res.App.AppID
}

// LocateApp finds the pinned app without changing anything, for the
// metadata archive: by the pinned appId only, owned by the deployment's
// identity; ENOTFOUND when nothing is pinned yet.
func (j *Job) LocateApp(ctx context.Context) (domain.AppRef, error) {
	var st State
	owner, err := j.ownerID(ctx)
	if err != nil {
		return domain.AppRef{}, err
	}
	st.OwnerID = owner
	appID, err := j.pinState(ctx, &st, "")
	if err != nil {
		return domain.AppRef{}, err
	}
	if appID == "" {
		return domain.AppRef{}, domain.NotPinned(j.AppID)
	}
	if err := j.readPinned(ctx, &st, appID, false); err != nil {
		return domain.AppRef{}, err
	}
	return st.App.Ref(j.Tenant), nil
}
