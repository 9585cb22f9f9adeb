package main

import (
	"context"
	"fmt"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// The "certificate" app check of diagnose and audit reads the archived
// federation metadata (the archive job's latest version) and reports the
// signing certificate that signs it when it expires within the largest
// CERT_EXPIRY_WARN_DAYS threshold. Before the first archive it reports
// nothing: the daily metadata-archive timer is the source of truth.
func init() {
	if diagnoseDeps.checks == nil {
		diagnoseDeps.checks = map[string]func(a *app) (diagnose.AppCheck, error){}
	}
	diagnoseDeps.checks["certificate"] = func(a *app) (diagnose.AppCheck, error) {
		job := &lazyArchive{a: a}
		warn := 60 * 24 * time.Hour
		for _, d := range a.cfg.CertExpiryWarn {
			if d > warn {
				warn = d
			}
		}
		return func(ctx context.Context) ([]domain.Finding, error) {
			sum, err := job.Summary(ctx)
			if err != nil {
				return nil, err
			}
			now := time.Now().UTC()
			var out []domain.Finding
			for _, c := range sum.Certificates {
				if !c.SignsDocument || c.NotAfter.Sub(now) > warn {
					continue
				}
				sev := domain.SeverityWarning
				if !c.NotAfter.After(now) {
					sev = domain.SeverityError
				}
				out = append(out, domain.Finding{
					Kind: domain.FindingCertExpiring, Severity: sev, Key: c.Thumbprint,
					State:      fmt.Sprintf("notAfter=%s", c.NotAfter.Format(time.RFC3339)),
					Subject:    "app/" + sum.App.AppID + "/certificate/" + c.Thumbprint,
					Summary:    fmt.Sprintf("The app's active SAML signing certificate %s expires on %s (%d days).", c.Thumbprint, c.NotAfter.Format("2006-01-02"), c.DaysLeft),
					Remedy:     "Run provision (it adds and activates a new certificate within CERT_ROTATE_BEFORE_DAYS), then send Aircall the new federation metadata.",
					ObservedAt: now,
				})
			}
			return out, nil
		}, nil
	}
}
