// Package app is aircall-entra-sso's composition root, after WTF Dial's
// cmd/wtfd Main: New takes the validated configuration, the credential and
// the logger, and App's fields are every adapter and job, each built on
// first use (lazy) so a cold start does no I/O and a missing optional
// adapter fails only what needs it. Routes lists the eight functions the
// Functions host invokes and Commands the operator's subcommands; nothing is
// registered anywhere else.
//
// It wires and does nothing more: no policy (the jobs'), no request decoding
// (package functions'), no terminal output (package cli's), and it never
// reads the environment (main loads the configuration) or keeps state
// outside an App.
package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/config"
	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

// App is the running application.
type App struct {
	Config *config.Config
	Log    *slog.Logger
	Cred   azcore.TokenCredential
	// Version and Build name the binary (health, the ready log line).
	Version, Build string
	// Started is when the process started (health's uptime).
	Started time.Time

	// Adapters, built on first use.
	blob   lazy[*blob.Store]           // BLOB_*
	events lazy[*servicebus.Publisher] // SERVICEBUS_*, its outbox in blob
	users  lazy[*lookup.Directory]     // one user at a time, and the app's claim

	// Jobs, built on first use from the adapters.
	provision lazy[*provision.Job]
	archive   lazy[*archive.Job]
	audit     lazy[*audit.Job]
	diagnose  lazy[*diagnose.Job]

	router *funchost.Router

	mu      sync.Mutex // guards closers and owner
	closers []func(context.Context) error
	owner   string // the token's oid once read (OwnerID)
}

// Option sets an optional field of App.
type Option func(*App)

// WithVersion names the build (main's ldflags variables).
func WithVersion(version, build string) Option {
	return func(a *App) { a.Version, a.Build = version, build }
}

// WithStarted sets when the process started (default: when New ran).
func WithStarted(t time.Time) Option {
	return func(a *App) { a.Started = t }
}

// New returns the app for cfg. It does no I/O: adapters and jobs are built
// when a function or command first needs them.
func New(cfg *config.Config, cred azcore.TokenCredential, log *slog.Logger, opts ...Option) *App {
	a := &App{Config: cfg, Log: log, Cred: cred, Version: "dev", Build: "unknown", Started: time.Now()}
	for _, o := range opts {
		o(a)
	}
	a.router = funchost.NewRouter(log)
	for _, r := range a.Routes() {
		a.router.Handle(r.Name, r.Func)
	}
	return a
}

// Handler serves the custom-handler protocol: the Functions host's side.
func (a *App) Handler() *funchost.Router { return a.router }

// Serve serves the functions on 127.0.0.1:FUNCTIONS_CUSTOMHANDLER_PORT
// (8080 without it) until ctx ends.
func (a *App) Serve(ctx context.Context) error {
	port := a.Config.Port
	if port == "" {
		port = "8080"
	}
	return funchost.Serve(ctx, port, a.router, 30*time.Second, func(addr string) {
		a.Log.Info("ready", "addr", addr, "functions", strings.Join(a.router.Names(), ","),
			"version", a.Version, "startupMs", time.Since(a.Started).Milliseconds())
	})
}

// onClose adds fn to what Close runs; adapters add themselves when built,
// possibly from a request's goroutine.
func (a *App) onClose(fn func(context.Context) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closers = append(a.closers, fn)
}

// Close closes what was built, in reverse order, and returns every error.
func (a *App) Close(ctx context.Context) error {
	a.mu.Lock()
	closers := a.closers
	a.closers = nil
	a.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i](ctx))
	}
	return errors.Join(errs...)
}

// lazy builds a value once, on first use, so start-up does no I/O and a
// missing optional adapter fails only what needs it; it keeps the value or
// the error.
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (l *lazy[T]) get(build func() (T, error)) (T, error) {
	l.once.Do(func() { l.v, l.err = build() })
	return l.v, l.err
}
