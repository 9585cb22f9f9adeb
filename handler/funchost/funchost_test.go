package funchost_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC) }

// The exact shapes of docs/architecture.md, "Functions host contract" ("What the host sends").
const httpEnvelope = `{"Data":{"req":{"Url":"https://app.azurewebsites.net/api/webhooks/zendesk?x=1","Method":"POST",
 "Query":{"x":"1"},"Headers":{"Content-Type":["application/json"],"X-Multi":["a","b"]},
 "Params":{"source":"zendesk"},"Identities":[],"Body":"{\"user\":\"ann@contoso.com\"}","SomethingNew":42}},
 "Metadata":{"sys":{"MethodName":"webhook","UtcNow":"2026-11-28T02:00:00.01Z","RandGuid":"0f0e"},"Extra":{"a":1}}}`

const timerEnvelope = `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},
 "ScheduleStatus":{"Last":"2026-11-27T02:00:00+00:00","Next":"2026-11-28T02:00:00+00:00","LastUpdated":"2026-11-27T02:00:00+00:00"},
 "IsPastDue":false}},"Metadata":{"sys":{"MethodName":"audit","UtcNow":"2026-11-28T02:00:00.01Z","RandGuid":"x"}}}`

func TestDecodeHTTP(t *testing.T) {
	inv, err := funchost.DecodeInvocation([]byte(httpEnvelope), "webhook", "inv-1", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	r := inv.HTTP
	if r == nil || inv.Timer != nil {
		t.Fatalf("want an HTTP invocation, got %+v", inv)
	}
	if r.Method != "POST" || r.Query["x"] != "1" || r.Params["source"] != "zendesk" {
		t.Fatalf("request = %+v", r)
	}
	if got := r.Headers.Values("X-Multi"); len(got) != 2 || got[1] != "b" {
		t.Fatalf("header arrays lost: %v", got)
	}
	if r.ContentType() != "application/json" || string(r.Body) != `{"user":"ann@contoso.com"}` {
		t.Fatalf("body must be the exact text sent, got %q", r.Body)
	}
	if !inv.Now.Equal(time.Date(2026, 11, 28, 2, 0, 0, 10e6, time.UTC)) {
		t.Fatalf("Now from Metadata.sys.UtcNow: %v", inv.Now)
	}
}

func TestDecodeVariants(t *testing.T) {
	cases := []struct {
		name, env string
		check     func(t *testing.T, inv *funchost.Invocation)
	}{
		{"older host: Query and Identities as JSON strings",
			`{"Data":{"req":{"Url":"u","Method":"get","Query":"{\"a\":\"1,2\"}","Headers":{},"Identities":"[]"}},"Metadata":{}}`,
			func(t *testing.T, inv *funchost.Invocation) {
				if inv.HTTP.Query["a"] != "1,2" || inv.HTTP.Method != "GET" || inv.HTTP.Body != nil {
					t.Fatalf("%+v", inv.HTTP)
				}
			}},
		{"octet-stream body is base64",
			`{"Data":{"req":{"Url":"u","Method":"POST","Headers":{"Content-Type":["application/octet-stream"]},"Body":"AAEC/w=="}},"Metadata":{}}`,
			func(t *testing.T, inv *funchost.Invocation) {
				if string(inv.HTTP.Body) != "\x00\x01\x02\xff" {
					t.Fatalf("body %q", inv.HTTP.Body)
				}
			}},
		{"multipart body is base64",
			`{"Data":{"req":{"Url":"u","Method":"POST","Headers":{"Content-Type":["multipart/form-data; boundary=x"]},"Body":"aGk="}},"Metadata":{}}`,
			func(t *testing.T, inv *funchost.Invocation) {
				if string(inv.HTTP.Body) != "hi" {
					t.Fatalf("body %q", inv.HTTP.Body)
				}
			}},
		{"no route params",
			`{"Data":{"req":{"Url":"u","Method":"GET","Headers":{}}},"Metadata":{}}`,
			func(t *testing.T, inv *funchost.Invocation) {
				if inv.HTTP.Params != nil {
					t.Fatalf("params %v", inv.HTTP.Params)
				}
			}},
		{"timer with null ScheduleStatus, past due",
			`{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}},"Metadata":{"sys":{}}}`,
			func(t *testing.T, inv *funchost.Invocation) {
				if inv.Timer == nil || !inv.Timer.IsPastDue || !inv.Timer.Last.IsZero() {
					t.Fatalf("%+v", inv.Timer)
				}
				if !inv.Now.Equal(fixedNow()) {
					t.Fatalf("Now falls back to the clock: %v", inv.Now)
				}
			}},
		{"timer with status",
			timerEnvelope,
			func(t *testing.T, inv *funchost.Invocation) {
				if inv.Timer == nil || inv.Timer.IsPastDue || inv.Timer.Next.Day() != 28 {
					t.Fatalf("%+v", inv.Timer)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := funchost.DecodeInvocation([]byte(c.env), "f", "i", fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, inv)
		})
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	cases := map[string]string{
		"":                 "empty envelope",
		"not json":         "malformed envelope",
		`[]`:               "malformed envelope",
		`{"Metadata":{}}`:  "no Data object",
		`{"Data":{"x":1}}`: "carries no HTTP request",
		`{"Data":{"req":{"Url":"u","Method":"POST","Headers":{"Content-Type":["application/octet-stream"]},"Body":"%%%"}}}`: "must be base64",
		`{"Data":{"req":{"Url":"u","Method":"GET","Query":7}}}`:                                                             "Query",
		`{"Data":{"req":{"Url":"u","Method":"","Headers":{}}}}`:                                                             "Method is empty",
	}
	for env, want := range cases {
		_, err := funchost.DecodeInvocation([]byte(env), "f", "i", fixedNow)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("envelope %q: got %v, want an error mentioning %q", env, err, want)
		}
	}
}

type logSink struct{ strings.Builder }

func newRouter(t *testing.T) (*funchost.Router, *logSink) {
	sink := &logSink{}
	r := funchost.NewRouter(slog.New(slog.NewJSONHandler(sink, nil)))
	r.Handle("webhook", func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		inv.Log.Info("handling", "source", inv.HTTP.Params["source"])
		switch inv.HTTP.Params["source"] {
		case "zendesk":
			return funchost.JSON(201, map[string]string{"ok": "yes"}), nil
		case "bad":
			return nil, domain.FieldError("user", "is missing")
		default:
			panic("boom")
		}
	})
	r.Handle("audit", func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		if inv.Timer.IsPastDue {
			return nil, domain.Errorf(domain.EUPSTREAM, "graph down")
		}
		return nil, nil
	})
	return r, sink
}

func post(t *testing.T, h http.Handler, path, body string) (int, map[string]any) {
	t.Helper()
	req := hostRequest(path, body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

// hostRequest is an invocation as the Functions host's HTTP worker sends it
// (DefaultHttpWorkerService: POST to http://127.0.0.1:{port}/{FunctionName},
// a JSON body, its own headers).
func hostRequest(path, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:7071"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", "inv-42")
	req.Header.Set("X-Azure-Functions-HostVersion", "4.1037.0")
	req.Header.Set("User-Agent", "Azure-Functions-Host/4.1037.0")
	return req
}

// TestPortRefusesBrowsers: what a web page can send to 127.0.0.1 — a
// cross-site form post, a fetch with Origin and Sec-Fetch-*, a DNS-rebound
// Host — never reaches a function; the host's own request does.
func TestPortRefusesBrowsers(t *testing.T) {
	ran := 0
	r := funchost.NewRouter(slog.New(slog.DiscardHandler))
	r.Handle("provision", func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		ran++
		return funchost.JSON(200, "done"), nil
	})
	cases := map[string]struct {
		change func(*http.Request)
		want   int
	}{
		"form post":       {func(q *http.Request) { q.Header.Set("Content-Type", "text/plain") }, http.StatusUnsupportedMediaType},
		"no content type": {func(q *http.Request) { q.Header.Del("Content-Type") }, http.StatusUnsupportedMediaType},
		"origin":          {func(q *http.Request) { q.Header.Set("Origin", "https://evil.example") }, http.StatusForbidden},
		"null origin":     {func(q *http.Request) { q.Header.Set("Origin", "null") }, http.StatusForbidden},
		"sec-fetch":       {func(q *http.Request) { q.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		"sec-fetch-mode":  {func(q *http.Request) { q.Header.Set("sec-fetch-mode", "no-cors") }, http.StatusForbidden},
		"rebinding":       {func(q *http.Request) { q.Host = "evil.example:7071" }, http.StatusForbidden},
		"public ip host":  {func(q *http.Request) { q.Host = "10.0.0.4:7071" }, http.StatusForbidden},
		"host's request":  {func(q *http.Request) {}, http.StatusOK},
		"localhost":       {func(q *http.Request) { q.Host = "localhost:7071" }, http.StatusOK},
		"ipv6 loopback":   {func(q *http.Request) { q.Host = "[::1]:7071" }, http.StatusOK},
	}
	env := `{"Data":{"req":{"Url":"http://localhost/api/provision","Method":"POST","Headers":{}}},"Metadata":{}}`
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := ran
			req := hostRequest("/provision", env)
			tc.change(req)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if (ran > before) != (tc.want == http.StatusOK) {
				t.Fatalf("function ran %d times", ran-before)
			}
		})
	}
}

func TestRouterAnswers(t *testing.T) {
	r, logs := newRouter(t)

	// Readiness: any answer on GET /.
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 200 {
		t.Fatalf("GET / = %d", w.Code)
	}

	code, out := post(t, r, "/webhook", httpEnvelope)
	res := out["Outputs"].(map[string]any)["res"].(map[string]any)
	if code != 200 || res["statusCode"].(float64) != 201 || !strings.Contains(res["body"].(string), `"ok": "yes"`) {
		t.Fatalf("answer %d %v", code, out)
	}
	if _, ok := out["Logs"].([]any); !ok || out["ReturnValue"] != nil {
		t.Fatalf("Logs must be an array and ReturnValue null: %v", out)
	}

	// A caller error travels in Outputs.res with 2xx to the host.
	bad := strings.Replace(httpEnvelope, `"source":"zendesk"`, `"source":"bad"`, 1)
	code, out = post(t, r, "/webhook", bad)
	res = out["Outputs"].(map[string]any)["res"].(map[string]any)
	if code != 200 || res["statusCode"].(float64) != 400 || !strings.Contains(res["body"].(string), `"field": "user"`) {
		t.Fatalf("caller error: %d %v", code, out)
	}

	// A panic is an internal error for the caller, not a dead process.
	boom := strings.Replace(httpEnvelope, `"source":"zendesk"`, `"source":"other"`, 1)
	code, out = post(t, r, "/webhook", boom)
	res = out["Outputs"].(map[string]any)["res"].(map[string]any)
	if code != 200 || res["statusCode"].(float64) != 500 || strings.Contains(res["body"].(string), "boom") {
		t.Fatalf("panic: %d %v", code, out)
	}

	// Timers: success has no res; failure fails the invocation.
	code, out = post(t, r, "/audit", timerEnvelope)
	if code != 200 || len(out["Outputs"].(map[string]any)) != 0 {
		t.Fatalf("timer ok: %d %v", code, out)
	}
	code, _ = post(t, r, "/audit", strings.Replace(timerEnvelope, `"IsPastDue":false`, `"IsPastDue":true`, 1))
	if code != 500 {
		t.Fatalf("failed timer must fail the invocation, got %d", code)
	}

	code, out = post(t, r, "/nope", httpEnvelope)
	if code != 404 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "audit, webhook") {
		t.Fatalf("unknown function: %d %v", code, out)
	}
	code, _ = post(t, r, "/webhook", "{")
	if code != 400 {
		t.Fatalf("malformed envelope: %d", code)
	}

	// Every log line carries the invocation id.
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !strings.Contains(line, `"invocationId":"inv-42"`) {
			t.Fatalf("log line without invocation id: %s", line)
		}
	}
}

func TestStatusOf(t *testing.T) {
	want := map[domain.Code]int{
		domain.EINVALID: 400, domain.EUNAUTHORIZED: 401, domain.EFORBIDDEN: 403, domain.ENOTFOUND: 404,
		domain.ECONFLICT: 409, domain.ETOOLARGE: 413, domain.EMEDIATYPE: 415, domain.EUNPROCESSABLE: 422,
		domain.EUPSTREAM: 502, domain.EUNAVAILABLE: 503, domain.EINTERNAL: 500, "": 200,
	}
	for code, st := range want {
		if got := funchost.StatusOf(code); got != st {
			t.Errorf("StatusOf(%q) = %d, want %d", code, got, st)
		}
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	r := funchost.NewRouter(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	release := make(chan struct{})
	r.Handle("slow", func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		<-release
		return funchost.JSON(200, "done"), nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- funchost.Serve(ctx, "0", r, 5*time.Second, func(a string) { addrc <- a }) }()
	addr := <-addrc
	resc := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/slow", "application/json", strings.NewReader(`{"Data":{"req":{"Url":"u","Method":"GET"}}}`))
		if err != nil {
			resc <- -1
			return
		}
		resp.Body.Close()
		resc <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	cancel() // SIGTERM arrives while an invocation runs
	time.Sleep(50 * time.Millisecond)
	close(release)
	if st := <-resc; st != 200 {
		t.Fatalf("in-flight invocation got %d during shutdown, want 200", st)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func FuzzDecodeInvocation(f *testing.F) {
	f.Add([]byte(httpEnvelope))
	f.Add([]byte(timerEnvelope))
	f.Add([]byte(`{"Data":{"req":{"Url":"u","Method":"POST","Headers":{"Content-Type":["application/octet-stream"]},"Body":"AAE="}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		inv, err := funchost.DecodeInvocation(raw, "f", "i", fixedNow)
		if err == nil && inv.HTTP == nil && inv.Timer == nil {
			t.Fatal("decoded an invocation with no trigger")
		}
	})
}

// TestCallersAreToldNoInsides: what a dependency said (a Graph path, an SDK
// error, Graph's own message) reaches the logs, never the caller; a
// caller's own mistake is still explained.
func TestCallersAreToldNoInsides(t *testing.T) {
	inner := errors.New(`*net.OpError: dial tcp 10.0.0.7:443: connect: connection refused`)
	for _, err := range []error{
		domain.Wrap(domain.EUNAVAILABLE, inner, "graph: GET /v1.0/users?$filter=userPrincipalName eq 'a': Microsoft Graph is unreachable (%s)", inner),
		domain.Wrap(domain.EUPSTREAM, inner, "graph: PATCH /v1.0/applications/123: Graph answered 500 InternalServerError: boom"),
		domain.Wrap(domain.EFORBIDDEN, inner, "graph: GET /v1.0/servicePrincipals: Graph answered 403 Authorization_RequestDenied"),
		domain.Wrap(domain.ENOTFOUND, inner, "graph: GET /v1.0/servicePrincipals/abc: Graph answered 404 Request_ResourceNotFound"),
		domain.Wrap(domain.ECONFLICT, inner, "blob: save checkpoint \"audit/run\": changed or held by another run (ConditionNotMet)"),
		errors.New("panic-ish internal *json.SyntaxError"),
	} {
		res := funchost.ErrorResponse(err)
		for _, leak := range []string{"/v1.0", "net.OpError", "10.0.0.7", "Graph answered", "checkpoint", "SyntaxError", "graph:", "blob:"} {
			if strings.Contains(string(res.Body), leak) {
				t.Errorf("the caller is told %q: %s", leak, res.Body)
			}
		}
	}
	res := funchost.ErrorResponse(domain.FieldError("user", "must be a UPN or an email address"))
	if !strings.Contains(string(res.Body), "must be a UPN") || !strings.Contains(string(res.Body), `"field": "user"`) {
		t.Errorf("a caller's mistake is no longer explained: %s", res.Body)
	}
}
