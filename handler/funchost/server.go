package funchost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// MaxEnvelopeBytes bounds what the host may send in one envelope. Webhook
// bodies are limited further by their functions.
const MaxEnvelopeBytes = 4 << 20

// Router maps function names to Funcs and serves the custom-handler
// protocol. The zero value is not usable; call NewRouter.
type Router struct {
	log   *slog.Logger
	mu    sync.RWMutex
	funcs map[string]Func
	now   func() time.Time
}

// NewRouter returns an empty router logging to log.
func NewRouter(log *slog.Logger) *Router {
	return &Router{log: log, funcs: map[string]Func{}, now: time.Now}
}

// Handle registers fn under the function name (the folder name of its
// function.json). Registering a name twice panics: it is a wiring bug.
func (r *Router) Handle(name string, fn Func) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.funcs[name]; dup {
		panic("funchost: function " + name + " registered twice")
	}
	r.funcs[name] = fn
}

// Names returns the registered function names, sorted.
func (r *Router) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.funcs))
	for n := range r.funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ServeHTTP implements the host-facing side: GET / answers readiness, POST
// /{FunctionName} runs a function.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	name := strings.Trim(req.URL.Path, "/")
	if name == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ready\n")
		return
	}
	invID := req.Header.Get("X-Azure-Functions-InvocationId")
	log := r.log.With("invocationId", invID, "function", name)
	if req.Method != http.MethodPost {
		hostError(w, log, http.StatusMethodNotAllowed, fmt.Sprintf("the host must POST the envelope to /%s, got %s", name, req.Method))
		return
	}
	if no := fromHost(req); no != nil {
		hostError(w, log, no.status, no.reason)
		return
	}
	r.mu.RLock()
	fn, ok := r.funcs[name]
	r.mu.RUnlock()
	if !ok {
		hostError(w, log, http.StatusNotFound, fmt.Sprintf("unknown function %q: registered functions are %s", name, strings.Join(r.Names(), ", ")))
		return
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, MaxEnvelopeBytes+1))
	if err != nil {
		hostError(w, log, http.StatusBadRequest, "reading the envelope: "+err.Error())
		return
	}
	if len(raw) > MaxEnvelopeBytes {
		hostError(w, log, http.StatusRequestEntityTooLarge, fmt.Sprintf("envelope larger than %d bytes", MaxEnvelopeBytes))
		return
	}
	inv, err := DecodeInvocation(raw, name, invID, r.now)
	if err != nil {
		hostError(w, log, http.StatusBadRequest, err.Error())
		return
	}
	inv.Log = log
	start := time.Now()
	res, ferr := r.run(req.Context(), fn, inv)
	status := 0
	if res != nil {
		status = res.Status
	}
	if ferr != nil {
		code := domain.ErrorCode(ferr)
		lvl := slog.LevelWarn
		if StatusOf(code) >= 500 {
			lvl = slog.LevelError
		}
		log.Log(req.Context(), lvl, "function failed", "code", string(code), "error", ferr.Error(), "ms", time.Since(start).Milliseconds())
		if inv.HTTP != nil {
			res = errorResponse(ferr, invID)
			status = res.Status
		} else {
			// A timer has no caller: the failure must show as a failed
			// invocation in the host, so answer the host with 500.
			hostError(w, log, http.StatusInternalServerError, domain.ErrorMessage(ferr))
			return
		}
	} else {
		log.Info("function done", "status", status, "ms", time.Since(start).Milliseconds())
	}
	writeAnswer(w, inv, res)
}

// run calls fn, turning a panic into an internal error so one bad request
// cannot take the handler process down.
func (r *Router) run(ctx context.Context, fn Func, inv *Invocation) (res *Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			inv.Log.Error("function panicked", "panic", fmt.Sprint(p))
			res, err = nil, domain.Errorf(domain.EINTERNAL, "internal error")
		}
	}()
	return fn(ctx, inv)
}

func writeAnswer(w http.ResponseWriter, inv *Invocation, res *Response) {
	a := answer{Outputs: map[string]any{}, Logs: []string{}}
	if inv.HTTP != nil {
		if res == nil {
			res = &Response{Status: http.StatusNoContent}
		}
		st := res.Status
		if st == 0 {
			st = http.StatusOK
		}
		a.Outputs["res"] = httpOutput{StatusCode: st, Headers: res.Headers, Body: string(res.Body)}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(a)
}

// hostError answers the host itself (not the caller) with a non-2xx status:
// the envelope could not be handled at all.
func hostError(w http.ResponseWriter, log *slog.Logger, status int, msg string) {
	log.Error("invocation refused", "status", status, "error", msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg}})
}

// Serve listens on 127.0.0.1:port and serves r until ctx is done, then shuts
// down gracefully, letting running invocations finish within grace. ready,
// when non-nil, is called once the listener is open.
func Serve(ctx context.Context, port string, r http.Handler, grace time.Duration, ready func(addr string)) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%s (FUNCTIONS_CUSTOMHANDLER_PORT): %w", port, err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func asDomain(err error, target **domain.Error) bool { return errors.As(err, target) }
