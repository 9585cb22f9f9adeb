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
	if res.App == nil {
		return []domain.Finding{{
			Kind: domain.FindingAppDrift, Severity: domain.SeverityError, Key: "app/missing", State: "missing",
			Subject: "aircall-app", Summary: "The Aircall SAML enterprise app does not exist in the tenant.",
			Remedy: "Run provision (POST /api/provision or `handler provision`) to create and configure it.", ObservedAt: now,
		}}, nil
	}
	out := make([]domain.Finding, 0, len(res.Steps))
	for _, s := range res.Steps {
		key := "app/" + res.App.AppID + "/" + string(s.Kind)
		if s.PrincipalID != "" {
			key += "/" + s.PrincipalID
		}
		f := domain.Finding{
			Kind: domain.FindingAppDrift, Severity: driftSeverity(s.Kind), Key: key, State: s.Before,
			Subject:    "aircall-app/" + res.App.AppID,
			Summary:    driftSummary(s),
			Remedy:     "Run provision (POST /api/provision or `handler provision`) to apply: " + s.Setting + " → " + s.After + ".",
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
	case StepAssign, StepTag:
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
		return "The Aircall app is not tagged " + domain.ManagedTag + " (found by display name)."
	}
	return s.String()
}

// LocateApp finds the managed app without changing anything, for the
// metadata archive; ENOTFOUND when provision has not created it yet.
func (j *Job) LocateApp(ctx context.Context) (domain.AppRef, error) {
	d, err := j.desired(Request{})
	if err != nil {
		return domain.AppRef{}, err
	}
	app, err := j.Directory.FindApp(ctx, domain.AppLookup{AppID: j.AppID, DisplayName: d.DisplayName})
	if err != nil {
		if domain.IsCode(err, domain.ENOTFOUND) {
			return domain.AppRef{}, domain.Wrap(domain.ENOTFOUND, err, "the Aircall app does not exist yet: run provision first, or set APP_ID")
		}
		return domain.AppRef{}, wrap(err, "find the Aircall app")
	}
	return app.Ref(j.Tenant), nil
}
