package archive

import (
	"context"
	"fmt"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Certificate expiry is decided here and nowhere else: the archive run
// sends each threshold's event once per certificate (expiry), and the app
// check of the audit and diagnose jobs (CertificateCheck) reports the same
// findings — same key, state and event id — for the certificate that signs
// the metadata, so the two never disagree about one certificate.

// CertificateCheck is the "certificate" app check (domain.CheckCertificate)
// of the audit and diagnose jobs, beside provision's Drift: it reads the
// latest archived metadata and reports its signing certificate when it has
// crossed one of Thresholds (or expired), as the archive run does. Before
// the first archive it reports nothing: the daily metadata-archive run is
// the source of truth. It changes nothing and sends no event.
func (j *Job) CertificateCheck(ctx context.Context) ([]domain.Finding, error) {
	app, err := j.Apps.LocateApp(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive: find the Aircall app: %w", err)
	}
	latest, _, err := j.Store.Latest(ctx, app)
	if domain.IsCode(err, domain.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("archive: read the latest metadata of %s: %w", app, err)
	}
	now := j.now()
	var out []domain.Finding
	for _, c := range latest.Snapshot.Certificates {
		if !c.SignsDocument {
			continue
		}
		if crossed := j.crossed(c, now); crossed >= 0 {
			out = append(out, expiryFinding(app, c, crossed, now))
		}
	}
	return out, nil
}

// expiry returns the alert state for snap's certificates and the findings
// for thresholds newly crossed. Each certificate alerts once per threshold:
// at the smallest threshold it has crossed (0 once expired), and only if no
// alert at that threshold or a smaller one was sent before.
func (j *Job) expiry(app domain.AppRef, snap domain.MetadataSnapshot, before map[string]int, now time.Time) (map[string]int, []domain.Finding) {
	alerts := map[string]int{}
	var out []domain.Finding
	for _, c := range snap.Certificates {
		prev, alerted := before[c.Thumbprint]
		if alerted {
			alerts[c.Thumbprint] = prev
		}
		crossed := j.crossed(c, now)
		if crossed < 0 || (alerted && prev <= crossed) {
			continue
		}
		alerts[c.Thumbprint] = crossed
		out = append(out, expiryFinding(app, c, crossed, now))
	}
	if len(alerts) == 0 {
		alerts = nil
	}
	return alerts, out
}

// crossed returns the smallest threshold, in days, that c has crossed at
// now: 0 once it has expired, -1 while it is outside every threshold.
func (j *Job) crossed(c domain.CertificateFacts, now time.Time) int {
	ths := j.Thresholds
	if len(ths) == 0 {
		ths = DefaultThresholds
	}
	left := c.NotAfter.Sub(now)
	if left <= 0 {
		return 0
	}
	crossed := -1
	for _, th := range ths {
		d := int(th / (24 * time.Hour))
		if left <= th && (crossed == -1 || d < crossed) {
			crossed = d
		}
	}
	return crossed
}

// expiryFinding is the cert-expiring finding of c at threshold crossed
// (days; 0 once expired). Its key and state make the event id: one per
// certificate and threshold.
func expiryFinding(app domain.AppRef, c domain.CertificateFacts, crossed int, now time.Time) domain.Finding {
	days := int(c.NotAfter.Sub(now).Hours() / 24)
	sev := domain.SeverityInfo
	if c.SignsDocument {
		sev = domain.SeverityWarning
		if crossed == 0 {
			sev = domain.SeverityError
		}
	}
	summary := fmt.Sprintf("The Aircall app's SAML signing certificate %s expires on %s (in %d days).", c.Thumbprint, c.NotAfter.Format("2006-01-02"), days)
	if crossed == 0 {
		summary = fmt.Sprintf("The Aircall app's SAML signing certificate %s expired on %s.", c.Thumbprint, c.NotAfter.Format("2006-01-02"))
	}
	if !c.SignsDocument {
		summary += " It is not the certificate in use."
	}
	return domain.Finding{
		Kind: domain.FindingCertExpiring, Severity: sev, Key: c.Thumbprint,
		State:   fmt.Sprintf("threshold=%dd;notAfter=%s", crossed, c.NotAfter.UTC().Format(time.RFC3339)),
		Subject: "app/" + app.AppID + "/certificate/" + c.Thumbprint, Summary: summary,
		Remedy: "Add a new SAML signing certificate and make it active before this date (provision does it when the certificate is within CERT_ROTATE_BEFORE_DAYS), " +
			"then send Aircall the new Federation Metadata XML.",
		Details:    map[string]any{"thumbprint": c.Thumbprint, "notAfter": c.NotAfter, "thresholdDays": crossed, "daysLeft": days, "signsDocument": c.SignsDocument},
		ObservedAt: now,
	}
}
