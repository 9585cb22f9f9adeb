package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/devhost"
	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
)

const benchZendeskSecret = "bench-zendesk-signing-secret-0123456789"

// loadResult is loadgen's output line.
type loadResult struct {
	Sent, OK, Errors    int
	RateRPS             float64
	P50ms, P90ms, P99ms float64
	MaxMs               float64
}

// measureWebhook runs the built handler behind devhost against the Graph
// simulator and the Service Bus peer, and drives signed Zendesk webhooks at
// 200 requests/s from loadgen, a separate process. It runs twice: with the
// simulator answering at once (the handler's own cost) and with 20 ms per
// Graph request; the overhead is p99 minus the one Graph round trip a
// diagnosis waits on.
func measureWebhook(b *bench) ([]Row, error) {
	loadgen, err := b.goBuild("./devenv/cmd/loadgen", "loadgen")
	if err != nil {
		return nil, err
	}
	dur := 10 * time.Second
	if b.quick {
		dur = 3 * time.Second
	}
	var rows []Row
	for _, lat := range []time.Duration{0, 20 * time.Millisecond} {
		res, perReq, err := webhookRun(b, loadgen, lat, dur)
		if err != nil {
			return nil, err
		}
		// A diagnosis waits on one Graph round trip (the user with their
		// groups expanded); the app-wide facts are cached and refreshed in
		// the background.
		floor := float64(lat.Milliseconds())
		over := res.P99ms - floor
		rows = append(rows, Row{
			What:     fmt.Sprintf("webhook diagnosis at %.0f req/s, Graph latency %s (%d ok of %d)", res.RateRPS, lat, res.OK, res.Sent),
			Figure:   fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", res.P50ms, res.P99ms),
			Baseline: fmt.Sprintf("one Graph round trip = %.1f ms (%.2f Graph requests per diagnosis)", floor, perReq),
			Ratio:    fmt.Sprintf("+%.1f ms at p99", over),
			Target:   "≤ +10 ms at p99",
			Verdict:  verdict(over <= 10 && res.Errors == 0),
		})
	}
	return rows, nil
}

func webhookRun(b *bench, loadgen string, latency, dur time.Duration) (*loadResult, float64, error) {
	sim := graphsim.New(graphsim.Options{Seed: 7, Users: 2000, Mix: graphsim.Mix{UPNMismatch: 0.1, DirectAssigned: 0.5, GroupAssigned: 0.3}})
	if err := sim.Start(); err != nil {
		return nil, 0, err
	}
	defer sim.Close()
	var users []string
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if len(users) < 200 && tr.User.Mail != "" {
			users = append(users, tr.User.Mail)
		}
		return true
	})
	apps := sim.Tenant().Apps()
	if len(apps) == 0 {
		return nil, 0, fmt.Errorf("the simulator seeded no app")
	}
	// The seeded app was adopted by an operator earlier (`handler provision
	// --adopt`): it is the pinned app the diagnosis reads.
	container := devtest.UniqueName("bench-")
	store, err := blob.New(blob.Options{ConnectionString: devtest.Env("DEVENV_BLOB_CONNECTION_STRING"), Container: container})
	if err != nil {
		return nil, 0, err
	}
	if _, err := store.Pins().SavePin(context.Background(), apps[0].Pin(), ""); err != nil {
		return nil, 0, fmt.Errorf("pin the seeded app: %w", err)
	}
	env := []string{
		"ENTRA_TENANT_ID=" + sim.TenantID(), "GRAPH_BASE_URL=" + sim.URL(), "LOGIN_AUTHORITY=" + sim.URL(),
		"IDENTITY_ENDPOINT=" + sim.IdentityEndpoint(), "IDENTITY_HEADER=" + sim.IdentityHeader(),
		"AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential", "APP_ID=" + apps[0].AppID,
		"BLOB_CONNECTION_STRING=" + devtest.Env("DEVENV_BLOB_CONNECTION_STRING"), "BLOB_SERVICE_URL=",
		"BLOB_CONTAINER=" + container,
		"SERVICEBUS_CONNECTION_STRING=" + devtest.Env("DEVENV_SERVICEBUS_CONNECTION_STRING"), "SERVICEBUS_NAMESPACE=",
		"WEBHOOK_SECRET_ZENDESK=" + benchZendeskSecret, "LOG_LEVEL=warn",
	}
	h, err := devhost.New(devhost.Options{AppRoot: b.appRoot, Env: env, FunctionKey: "bench-key-0123456789", MasterKey: "bench-master-0123456789"})
	if err != nil {
		return nil, 0, err
	}
	if err := h.Start(context.Background()); err != nil {
		return nil, 0, err
	}
	defer h.Stop()
	front := httptest.NewServer(h)
	defer front.Close()
	sim.Tenant().SetLatency(latency)
	args := []string{"-url", front.URL + "/api/webhooks/zendesk", "-key", "bench-key-0123456789", "-secret", benchZendeskSecret,
		"-rate", "200", "-duration", dur.String(), "-warmup", "2s"}
	for i, u := range users {
		if i == 0 {
			args = append(args, "-users", u)
		} else {
			args[len(args)-1] += "," + u
		}
	}
	before := sim.Tenant().Stats()
	out, err := exec.Command(loadgen, args...).Output()
	if err != nil {
		return nil, 0, fmt.Errorf("loadgen: %v", err)
	}
	after := sim.Tenant().Stats()
	var res loadResult
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&res); err != nil {
		return nil, 0, fmt.Errorf("loadgen output %q: %v", out, err)
	}
	total := 0
	for k, v := range after.Requests {
		total += v - before.Requests[k]
	}
	warm := 400 // the warm-up requests also hit Graph
	perReq := float64(total) / float64(res.Sent+warm)
	return &res, perReq, nil
}
