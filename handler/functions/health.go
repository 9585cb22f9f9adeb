package functions

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
)

// HealthInfo is what the health function reports about the build.
type HealthInfo struct {
	Version, Build string
	// Started is when the process started (for the uptime).
	Started time.Time
	// Functions returns the served function names.
	Functions func() []string
}

// HealthAnswer is GET /api/health: nothing secret.
type HealthAnswer struct {
	Status    string   `json:"status"`
	Version   string   `json:"version"`
	Build     string   `json:"build"`
	GoVersion string   `json:"goVersion"`
	Uptime    string   `json:"uptime"`
	UptimeSec int64    `json:"uptimeSeconds"`
	Functions []string `json:"functions"`
}

// Health is the function behind GET /api/health: the build, the uptime
// and the served functions. It reaches no adapter.
func Health(h HealthInfo) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		up := time.Since(h.Started)
		return funchost.JSON(http.StatusOK, HealthAnswer{
			Status: "ok", Version: h.Version, Build: h.Build, GoVersion: runtime.Version(),
			Uptime: up.Round(time.Second).String(), UptimeSec: int64(up.Seconds()), Functions: h.Functions(),
		}), nil
	}
}
