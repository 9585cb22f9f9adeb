package main

import (
	"context"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// The "certificate" app check of diagnose and audit reads the archived
// federation metadata (the archive job's latest version) and reports the
// signing certificate that signs it when it expires within the largest
// CERT_EXPIRY_WARN_DAYS threshold. Before the first archive it reports
// nothing: the daily metadata-archive timer is the source of truth.
func init() {
	if diagnoseDeps.checks == nil {
		diagnoseDeps.checks = map[string]func(a *app) (domain.AppCheck, error){}
	}
	diagnoseDeps.checks["certificate"] = func(a *app) (domain.AppCheck, error) {
		job := &lazyArchive{a: a}
		return func(ctx context.Context) ([]domain.Finding, error) {
			j, err := job.get()
			if err != nil {
				return nil, err
			}
			return j.CertificateCheck(ctx)
		}, nil
	}
}
