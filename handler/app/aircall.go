package app

import (
	"github.com/identity-ops/aircall-entra-sso/handler/aircall"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// aircallOn reports whether the Aircall checks are on: both AIRCALL_API_ID
// and AIRCALL_API_TOKEN are set (config refuses one without the other).
func (a *App) aircallOn() bool { return a.Config.AircallAPIID != "" && a.Config.AircallAPIToken != "" }

// aircallParts are the audit's Aircall adapter and snapshot store; both nil
// when the checks are off (the audit's report says so).
func (a *App) aircallParts(store *blob.Store) (domain.AircallDirectory, domain.AircallSnapshotStore, error) {
	if !a.aircallOn() {
		return nil, nil, nil
	}
	c, err := aircall.New(aircall.Options{BaseURL: a.Config.AircallBaseURL, APIID: a.Config.AircallAPIID, APIToken: a.Config.AircallAPIToken})
	if err != nil {
		return nil, nil, err
	}
	return c, store.AircallUsers(), nil
}

// AircallChecker runs the Aircall pass alone (handler aircall-check).
func (a *App) AircallChecker() (cli.AircallChecker, error) { return a.AuditJob() }
