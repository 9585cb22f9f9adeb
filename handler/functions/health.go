package functions

import (
	"context"
	"net/http"

	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
)

// HealthInfo is what the health function reports about the build.
type HealthInfo struct {
	Version string
}

// HealthAnswer is GET /api/health. The function is anonymous, so it says
// only that the app answers and which version it is: no runtime version,
// uptime or function list for a stranger to fingerprint
// (docs/architecture.md, "The handler's port"; the operator has `handler
// version` and the logs).
type HealthAnswer struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// Health is the function behind GET /api/health. It reaches no adapter.
func Health(h HealthInfo) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		return funchost.JSON(http.StatusOK, HealthAnswer{Status: "ok", Version: h.Version}), nil
	}
}
