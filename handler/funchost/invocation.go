package funchost

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// Func is one function of the app: it gets an Invocation and answers with a
// Response (HTTP triggers) or nil (timers). A returned error is mapped to an
// HTTP answer from its domain code (see StatusOf).
type Func func(ctx context.Context, inv *Invocation) (*Response, error)

// Invocation is one call of a function, decoded from the host's envelope.
type Invocation struct {
	// ID is the host's X-Azure-Functions-InvocationId.
	ID string
	// Function is the function name (the path the host posted to).
	Function string
	// HTTP is set for HTTP triggers.
	HTTP *HTTPRequest
	// Timer is set for timer triggers.
	Timer *TimerInfo
	// Log carries the invocation id and function name on every line.
	Log *slog.Logger
	// Now is Metadata.sys.UtcNow when the host sent it, else the handler's clock.
	Now time.Time
}

// HTTPRequest is the caller's request as the host forwarded it.
type HTTPRequest struct {
	Method string
	URL    string
	// Query holds query parameters; repeated keys arrive joined by commas.
	Query map[string]string
	// Headers holds the caller's headers (canonicalised keys).
	Headers http.Header
	// Params holds route parameters, e.g. {"source":"zendesk"}.
	Params map[string]string
	// Identities is the host's claims identities, raw (array or JSON string).
	Identities json.RawMessage
	// Body is the body exactly as the caller sent it; nil when absent.
	Body []byte
}

// ContentType returns the request's Content-Type header.
func (r *HTTPRequest) ContentType() string { return r.Headers.Get("Content-Type") }

// TimerInfo describes a timer firing.
type TimerInfo struct {
	IsPastDue bool
	// Last and Next come from ScheduleStatus; zero when the monitor is off.
	Last, Next time.Time
}

// JSON answers with status and v encoded as JSON.
func JSON(status int, v any) *Response {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return Text(http.StatusInternalServerError, "application/json", []byte(`{"error":{"code":"internal","message":"could not encode the answer"}}`))
	}
	return Text(status, "application/json; charset=utf-8", append(b, '\n'))
}

// Text answers with status, a content type and a body.
func Text(status int, contentType string, body []byte) *Response {
	return &Response{Status: status, Headers: map[string]string{"Content-Type": contentType}, Body: body}
}
