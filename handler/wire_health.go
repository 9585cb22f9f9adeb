package main

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
)

func init() { wirers = append(wirers, wireHealth) }

// healthAnswer is GET /api/health: nothing secret.
type healthAnswer struct {
	Status    string   `json:"status"`
	Version   string   `json:"version"`
	Build     string   `json:"build"`
	GoVersion string   `json:"goVersion"`
	Uptime    string   `json:"uptime"`
	UptimeSec int64    `json:"uptimeSeconds"`
	Functions []string `json:"functions"`
}

func wireHealth(a *app) error {
	a.router.Handle("health", func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		up := time.Since(a.started)
		return funchost.JSON(http.StatusOK, healthAnswer{
			Status: "ok", Version: version, Build: build, GoVersion: runtime.Version(),
			Uptime: up.Round(time.Second).String(), UptimeSec: int64(up.Seconds()), Functions: a.router.Names(),
		}), nil
	})
	return nil
}
