// Command demo runs aircall-entra-sso end to end on local stand-ins, with no
// Azure account: the built handler binary behind devhost (the Functions host
// stand-in), Azurite for Blob, the Service Bus peer, and the Graph + Entra
// sign-in simulator. `make demo` runs it after `make build`, with Azurite and
// the peer started by devenv/scripts/with-services.sh.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/aircallsim"
	"github.com/identity-ops/aircall-entra-sso/devenv/devhost"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

func main() {
	dist := flag.String("dist", "dist", "app root built by make build")
	verbose := flag.Bool("v", false, "show the handler's JSON logs")
	flag.Parse()
	if err := run(*dist, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// demo carries what the steps share.
type demo struct {
	host *devhost.Host
	dist string // the app root (report.go writes the page there)
	// reportPage is where the report page was written, printed last.
	reportPage string
	front      *httptest.Server
	key        string
	env        map[string]string
	out        io.Writer
	extras     []func() error
	// sim is the Graph + Entra simulator; mismatch a user whose UPN differs
	// from their mail.
	sim      *graphsim.Server
	mismatch graphsim.User
	// air is the Aircall API simulator (aircall.go).
	air *aircallsim.Server
}

func run(dist string, verbose bool) error {
	abs, err := filepath.Abs(dist)
	if err != nil {
		return err
	}
	d := &demo{dist: abs, out: os.Stdout, key: "demo-function-key-0123456789", env: map[string]string{}}
	defer func() {
		for i := len(d.extras) - 1; i >= 0; i-- {
			_ = d.extras[i]()
		}
	}()
	if err := d.setupServices(); err != nil {
		return err
	}
	logs := io.Discard
	if verbose {
		logs = os.Stderr
	}
	var env []string
	for k, v := range d.env {
		env = append(env, k+"="+v)
	}
	h, err := devhost.New(devhost.Options{AppRoot: abs, Env: env, FunctionKey: d.key, MasterKey: d.key + "-master", Stderr: logs})
	if err != nil {
		return err
	}
	d.host = h
	title(d.out, "Start the handler as the Functions host does")
	if err := h.Start(context.Background()); err != nil {
		return err
	}
	d.extras = append(d.extras, h.Stop)
	d.front = httptest.NewServer(h)
	d.extras = append(d.extras, func() error { d.front.Close(); return nil })
	fmt.Fprintf(d.out, "handler ready %s after start; functions: %s\n", h.Ready.Round(time.Microsecond), strings.Join(names(h), ", "))

	title(d.out, "GET /api/health")
	st, body, err := d.call(http.MethodGet, "/api/health", nil, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%d %s\n", st, body)
	for _, name := range stepOrder {
		if step, ok := steps[name]; ok {
			if err := step(d); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	title(d.out, "Stop the handler with SIGTERM")
	d.extras = d.extras[:len(d.extras)-2]
	d.front.Close()
	if err := h.Stop(); err != nil {
		return fmt.Errorf("handler did not stop cleanly: %w", err)
	}
	fmt.Fprintln(d.out, "stopped cleanly")
	if d.reportPage != "" {
		fmt.Fprintf(d.out, "\nThe audit report page: %s (open it in a browser)\n", d.reportPage)
	}
	return nil
}

// steps are the jobs' demo steps, added by the other files of this command
// with registerStep, and run in stepOrder.
var steps = map[string]func(d *demo) error{}

var stepOrder = []string{"look-alike", "provision", "archive", "audit", "aircall", "webhook", "events", "report"}

func registerStep(name string, fn func(d *demo) error) { steps[name] = fn }

func names(h *devhost.Host) []string {
	var out []string
	for n := range h.Functions() {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

// call sends a request through the host stand-in with the function key.
func (d *demo) call(method, path string, body []byte, headers map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(method, d.front.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("x-functions-key", d.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func title(w io.Writer, s string) {
	fmt.Fprintf(w, "\n== %s ==\n", s)
}

func pretty(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// ctx is the context of one demo step.
func (d *demo) ctx() context.Context { return context.Background() }
