package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

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
	case StepAddCertificate, StepActivateCertificate:
		return e.certificate(ctx, s, app)
	case StepPin, StepOwner, StepMyAppsTile, StepEmailClaim:
		return e.pinned(ctx, s, app)
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

// pinned runs the steps about which app is ours and how it is shown: pin,
// owner, the My Apps tile, and the email claim (whose policy id the pin
// records).
func (e *executor) pinned(ctx context.Context, s Step, app *domain.App) (Step, error) {
	dir := e.j.Directory
	switch s.Kind {
	case StepPin:
		origin := domain.PinCreated
		if e.st.Adopt {
			origin = domain.PinAdopted
		}
		if err := e.savePin(ctx, origin); err != nil {
			return s, err
		}
		s.After = app.AppID + " (" + origin + ")"
	case StepOwner:
		return e.owner(ctx, s, app)
	case StepMyAppsTile:
		p := domain.ServicePrincipalPatch{Tags: withoutTag(app.ServicePrincipalTags, HideAppTag)}
		if e.d.SignOnURL == "" {
			p.Tags = append(p.Tags, HideAppTag)
		} else {
			p.LoginURL = &e.d.SignOnURL
		}
		if err := dir.PatchServicePrincipal(ctx, app.ServicePrincipalID, p); err != nil {
			return s, err
		}
		app.ServicePrincipalTags = p.Tags
		if p.LoginURL != nil {
			app.LoginURL = *p.LoginURL
		}
	case StepEmailClaim:
		known := ""
		if e.st.Pin != nil {
			known = e.st.Pin.ClaimsPolicyID
		}
		st, err := dir.SetEmailClaim(ctx, app.ServicePrincipalID, e.d.ClaimSource, PolicyName(e.d.ClaimSource), known)
		if err != nil {
			return s, err
		}
		e.st.Claim = st
		if e.st.Pin != nil && st.PolicyID != known {
			if err := e.savePin(ctx, ""); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

func withoutTag(tags []string, tag string) []string {
	out := []string{}
	for _, t := range tags {
		if !strings.EqualFold(t, tag) {
			out = append(out, t)
		}
	}
	return out
}

// certificate runs the certificate steps: add a signing certificate, make
// one active.
func (e *executor) certificate(ctx context.Context, s Step, app *domain.App) (Step, error) {
	dir := e.j.Directory
	switch s.Kind {
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
