package main

import (
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
)

// The diagnose job reads one user at a time through graph/lookup.
func init() {
	diagnoseDeps.directory = func(a *app) (domain.UserDirectory, error) {
		return lookup.New(lookup.Options{
			BaseURL: a.cfg.GraphBaseURL, Credential: a.cred,
			AppID: a.cfg.AppID, DisplayName: a.cfg.AppDisplayName,
		})
	}
}
