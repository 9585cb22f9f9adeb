package devhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// HostVersion is what the stand-in claims to be in X-Azure-Functions-HostVersion.
const HostVersion = "4.1040.0-devhost"

// Options configures a Host.
type Options struct {
	// AppRoot holds host.json, the function folders and the handler binary.
	AppRoot string
	// Binary is the handler executable; default AppRoot/handler.
	Binary string
	// Env is the handler's environment in addition to os.Environ (app settings).
	Env []string
	// FunctionKey is accepted for authLevel function; MasterKey for every level.
	FunctionKey, MasterKey string
	// Stdout/Stderr receive the handler's output (default os.Stderr).
	Stdout, Stderr io.Writer
	// ReadyTimeout bounds the readiness poll (default 30 s, like the host).
	ReadyTimeout time.Duration
	// Handler, when set, is served in this process instead of running
	// Binary (inprocess.go): a test builds the app and fronts it like the host.
	Handler http.Handler
}

// Host runs the handler and fronts it like the Functions host.
type Host struct {
	opts      Options
	functions map[string]*Function
	routes    []*routed
	cmd       *exec.Cmd
	srv       *http.Server // with Options.Handler
	port      int
	client    *http.Client
	// Ready is how long the handler took from exec to its first answer on GET /.
	Ready time.Duration

	mu      sync.Mutex
	exited  chan struct{}
	exitErr error
}

type routed struct {
	fn *Function
	r  *route
}

// New loads the app root's functions.
func New(o Options) (*Host, error) {
	if o.Binary == "" {
		o.Binary = filepath.Join(o.AppRoot, "handler")
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Stdout == nil {
		o.Stdout = o.Stderr
	}
	fns, err := LoadFunctions(o.AppRoot)
	if err != nil {
		return nil, err
	}
	h := &Host{opts: o, functions: map[string]*Function{}, client: &http.Client{Timeout: 11 * time.Minute, Transport: &http.Transport{DisableCompression: true}}}
	for _, f := range fns {
		h.functions[f.Name] = f
		if f.IsHTTP() {
			r, _ := compileRoute(f.Route)
			h.routes = append(h.routes, &routed{fn: f, r: r})
		}
	}
	return h, nil
}

// Functions returns the loaded functions by name.
func (h *Host) Functions() map[string]*Function { return h.functions }

// Start launches the handler as the host does — FUNCTIONS_CUSTOMHANDLER_PORT
// (and FUNCTIONS_HTTPWORKER_PORT) set, working directory the app root — and
// polls GET / until any HTTP answer.
func (h *Host) Start(ctx context.Context) error {
	if h.opts.Handler != nil {
		return h.startInProcess()
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	h.port = port
	cmd := exec.Command(h.opts.Binary)
	cmd.Dir = h.opts.AppRoot
	cmd.Env = append(append(os.Environ(), h.opts.Env...),
		"FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port), "FUNCTIONS_HTTPWORKER_PORT="+strconv.Itoa(port),
		"FUNCTIONS_WORKER_RUNTIME=custom")
	cmd.Stdout, cmd.Stderr = h.opts.Stdout, h.opts.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start handler %s: %w", h.opts.Binary, err)
	}
	h.cmd = cmd
	h.exited = make(chan struct{})
	go func() {
		err := cmd.Wait()
		h.mu.Lock()
		h.exitErr = err
		h.mu.Unlock()
		close(h.exited)
	}()
	poll := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(h.opts.ReadyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-h.exited:
			return fmt.Errorf("handler exited before it was ready: %v", h.exitErr)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := poll.Get(h.base() + "/")
		if err == nil {
			resp.Body.Close()
			h.Ready = time.Since(start)
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	_ = h.Stop()
	return fmt.Errorf("handler did not answer GET / within %s", h.opts.ReadyTimeout)
}

func (h *Host) base() string { return "http://127.0.0.1:" + strconv.Itoa(h.port) }

// HandlerURL is the handler's own address (what the host talks to).
func (h *Host) HandlerURL() string { return h.base() }

// Stop sends SIGTERM and waits up to 30 s for the handler to exit. It returns
// the process's exit error (nil for a clean exit).
func (h *Host) Stop() error {
	if h.srv != nil {
		return h.stopInProcess()
	}
	if h.cmd == nil || h.cmd.Process == nil {
		return nil
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(30 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.exited
		return errors.New("handler did not exit within 30 s of SIGTERM")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.exitErr
}

// Kill ends the handler with SIGKILL (for resilience tests).
func (h *Host) Kill() {
	if h.srv != nil {
		_ = h.srv.Close()
		<-h.exited
		return
	}
	if h.cmd != nil && h.cmd.Process != nil {
		_ = h.cmd.Process.Kill()
		<-h.exited
	}
}

// Invoke posts a raw envelope for function name to the handler, exactly as
// the host does, and returns the handler's status and body.
func (h *Host) Invoke(ctx context.Context, name string, envelope []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base()+"/"+name, bytes.NewReader(envelope))
	if err != nil {
		return 0, nil, err
	}
	// What the host's DefaultHttpWorkerService sends, and nothing more: a
	// JsonMediaTypeFormatter body, its three headers, Host 127.0.0.1:{port}
	// (docs/architecture.md, "What the host sends"). The client's transport
	// adds no Accept-Encoding (DisableCompression), like the host's handler.
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", newGUID())
	req.Header.Set("X-Azure-Functions-HostVersion", HostVersion)
	req.Header.Set("User-Agent", "Azure-Functions-Host/"+HostVersion)
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// TimerAnswer is the handler's answer to a timer invocation.
type TimerAnswer struct {
	HandlerStatus int
	Body          []byte
}

// FireTimer invokes timer function name now, as the host's scheduler would.
// monitor=false sends ScheduleStatus null (useMonitor off).
func (h *Host) FireTimer(ctx context.Context, name string, pastDue, monitor bool) (*TimerAnswer, error) {
	f, ok := h.functions[name]
	if !ok || !f.IsTimer() {
		return nil, fmt.Errorf("no timer function %q", name)
	}
	now := time.Now().UTC()
	var status any
	if monitor {
		status = map[string]string{
			"Last": now.Add(-24 * time.Hour).Format("2006-01-02T15:04:05+00:00"), "Next": now.Add(24 * time.Hour).Format("2006-01-02T15:04:05+00:00"),
			"LastUpdated": now.Add(-24 * time.Hour).Format("2006-01-02T15:04:05+00:00"),
		}
	}
	env := map[string]any{
		"Data": map[string]any{f.Trigger.Name: map[string]any{
			"Schedule": map[string]any{"AdjustForDST": true}, "ScheduleStatus": status, "IsPastDue": pastDue,
		}},
		"Metadata": map[string]any{"sys": sysMeta(name, now)},
	}
	raw, _ := json.Marshal(env)
	st, body, err := h.Invoke(ctx, name, raw)
	if err != nil {
		return nil, err
	}
	return &TimerAnswer{HandlerStatus: st, Body: body}, nil
}

func sysMeta(name string, now time.Time) map[string]string {
	return map[string]string{"MethodName": name, "UtcNow": now.Format(time.RFC3339Nano), "RandGuid": newGUID()}
}

// ServeHTTP is the host's public side: /api/{route} for HTTP functions and
// POST /admin/functions/{name} (master key) to run a timer now.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/admin/functions/") {
		h.serveAdmin(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		http.NotFound(w, r)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/")
	var fn *Function
	var params map[string]string
	for _, rt := range h.routes {
		if p, ok := rt.r.match(path); ok {
			fn, params = rt.fn, p
			break
		}
	}
	if fn == nil {
		http.NotFound(w, r)
		return
	}
	if !methodAllowed(fn, r.Method) {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized(fn.Trigger.AuthLevel, r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 100<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	env := h.httpEnvelope(fn, r, params, body)
	st, out, err := h.Invoke(r.Context(), fn.Name, env)
	if err != nil || st < 200 || st > 299 {
		// The host turns a failed invocation into a 500 for the caller.
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeOutput(w, out)
}

func methodAllowed(fn *Function, m string) bool {
	for _, x := range fn.Trigger.Methods {
		if strings.EqualFold(x, m) {
			return true
		}
	}
	return false
}

func (h *Host) authorized(level string, r *http.Request) bool {
	key := r.Header.Get("x-functions-key")
	if key == "" {
		key = r.URL.Query().Get("code")
	}
	switch level {
	case "anonymous":
		return true
	case "function":
		return key != "" && (key == h.opts.FunctionKey || key == h.opts.MasterKey)
	default:
		return key != "" && key == h.opts.MasterKey
	}
}

// httpEnvelope builds Data.req as the host's GetRequestAsJObject does.
func (h *Host) httpEnvelope(fn *Function, r *http.Request, params map[string]string, body []byte) []byte {
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	headers := map[string][]string{}
	for k, vs := range r.Header {
		headers[k] = vs
	}
	scheme := "http"
	req := map[string]any{
		"Url": scheme + "://" + r.Host + r.URL.RequestURI(), "Method": r.Method, "Query": query,
		"Headers": headers, "Identities": []any{},
	}
	if len(params) > 0 {
		req["Params"] = params
	}
	if r.ContentLength > 0 && len(body) > 0 {
		ct := strings.ToLower(r.Header.Get("Content-Type"))
		if strings.HasPrefix(ct, "application/octet-stream") || strings.HasPrefix(ct, "multipart/") {
			req["Body"] = base64.StdEncoding.EncodeToString(body)
		} else {
			req["Body"] = string(body)
		}
	}
	meta := map[string]any{"sys": sysMeta(fn.Name, time.Now().UTC()), "Query": query, "Headers": headers}
	if len(params) > 0 {
		for k, v := range params {
			meta[k] = v
		}
	}
	raw, _ := json.Marshal(map[string]any{"Data": map[string]any{fn.Trigger.Name: req}, "Metadata": meta})
	return raw
}

// writeOutput maps the handler's Outputs.res to the caller's response.
func writeOutput(w http.ResponseWriter, out []byte) {
	var a struct {
		Outputs map[string]json.RawMessage `json:"Outputs"`
	}
	if err := json.Unmarshal(out, &a); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	raw, ok := a.Outputs["res"]
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var res struct {
		StatusCode json.RawMessage   `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       json.RawMessage   `json:"body"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	status := http.StatusOK
	if s := strings.Trim(string(res.StatusCode), `"`); s != "" && s != "null" {
		n, err := strconv.Atoi(s)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		status = n
	}
	for k, v := range res.Headers {
		w.Header().Set(k, v)
	}
	var body []byte
	if len(res.Body) > 0 && res.Body[0] == '"' {
		var s string
		_ = json.Unmarshal(res.Body, &s)
		body = []byte(s)
	} else if len(res.Body) > 0 && string(res.Body) != "null" {
		body = res.Body
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (h *Host) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized("admin", r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/admin/functions/")
	f, ok := h.functions[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !f.IsTimer() {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	go func() { _, _ = h.FireTimer(context.Background(), name, false, true) }()
	w.WriteHeader(http.StatusAccepted)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s := hex.EncodeToString(b)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
