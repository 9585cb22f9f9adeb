package graphsim

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// graphError is an OData error answer.
type graphError struct {
	status        int
	code, message string
	header        map[string]string
	// inner, when set, is the code of the innerError (Graph nests the most
	// specific code there: learn.microsoft.com/graph/errors).
	inner string
}

func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errf(status int, code, format string, args ...any) *graphError {
	return &graphError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func notFound(id string) *graphError {
	return errf(404, "Request_ResourceNotFound", "Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func badRequest(format string, args ...any) *graphError {
	return errf(400, "Request_BadRequest", format, args...)
}

func unsupportedQuery(format string, args ...any) *graphError {
	return errf(400, "Request_UnsupportedQuery", format, args...)
}

// writeError writes Graph's error shape:
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
func writeError(w http.ResponseWriter, r *http.Request, e *graphError) {
	reqID := w.Header().Get("request-id")
	if reqID == "" {
		reqID = uuid.NewString()
	}
	clientID := r.Header.Get("client-request-id")
	if clientID == "" {
		clientID = reqID
	}
	type inner struct {
		Code            string `json:"code,omitempty"`
		Message         string `json:"message,omitempty"`
		Status          string `json:"status,omitempty"`
		Date            string `json:"date"`
		RequestID       string `json:"request-id"`
		ClientRequestID string `json:"client-request-id"`
	}
	in := inner{Date: time.Now().UTC().Format("2006-01-02T15:04:05"), RequestID: reqID, ClientRequestID: clientID}
	if e.status == http.StatusTooManyRequests {
		in.Code, in.Status, in.Message = "429", "429", "Please retry after"
	}
	if e.inner != "" {
		in.Code = e.inner
	}
	type body struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError inner  `json:"innerError"`
	}
	b, _ := json.Marshal(map[string]body{"error": {Code: e.code, Message: e.message, InnerError: in}})
	for k, v := range e.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// writeJSON writes v (or raw bytes) with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	default:
		var err error
		b, err = json.Marshal(v)
		if err != nil {
			panic(err)
		}
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// maxBody bounds request bodies (after decompression).
const maxBody = 4 << 20

// readBody reads the request body, decompressing Content-Encoding gzip (the
// msgraph SDK compresses request bodies).
func (c *call) readBody() ([]byte, *graphError) {
	r := c.r
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		c.t.countGzip()
	}
	var rd io.Reader = r.Body
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, badRequest("The request body is not valid gzip: %v", err)
		}
		defer zr.Close()
		rd = zr
	}
	b, err := io.ReadAll(io.LimitReader(rd, maxBody+1))
	if err != nil {
		return nil, badRequest("Could not read the request body: %v", err)
	}
	if len(b) > maxBody {
		return nil, errf(413, "Request_EntityTooLarge", "The request body is too large.")
	}
	return b, nil
}

// decodeObject reads a JSON object body.
func (c *call) decodeObject() (map[string]any, *graphError) {
	b, gerr := c.readBody()
	if gerr != nil {
		return nil, gerr
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errf(400, "BadRequest", "Empty Payload. JSON content expected.")
	}
	return normalizeNumbers(m).(map[string]any), nil
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// query holds the OData system query options of a request. Graph accepts
// them with or without the $ prefix.
type query struct {
	values url.Values
	sel    []string
	top    int
	count  bool
}

func parseQuery(r *http.Request, defTop int) (*query, *graphError) {
	q := &query{values: r.URL.Query(), top: defTop}
	get := func(k string) string {
		if v := q.values.Get("$" + k); v != "" {
			return v
		}
		return q.values.Get(k)
	}
	if s := get("select"); s != "" {
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				q.sel = append(q.sel, f)
			}
		}
	}
	if s := get("top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, badRequest("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", s)
		}
		if n > 999 {
			return nil, badRequest("Invalid page size specified: '%d'. Must be between 1 and 999 inclusive.", n)
		}
		q.top = n
	}
	q.count = strings.EqualFold(get("count"), "true")
	return q, nil
}

func (q *query) get(k string) string {
	if v := q.values.Get("$" + k); v != "" {
		return v
	}
	return q.values.Get(k)
}

// advanced reports whether the request carries the advanced query
// parameters (ConsistencyLevel: eventual and $count=true).
func advanced(r *http.Request, q *query) bool {
	return strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual") && q.count
}

// selected reports whether property p is selected ($select absent = the
// defaults, reported by def).
func (q *query) selected(p string, def bool) bool {
	if len(q.sel) == 0 {
		return def
	}
	for _, s := range q.sel {
		if strings.EqualFold(s, p) {
			return true
		}
	}
	return false
}

// project returns a new map of the selected properties of props (all when
// no $select), "id" always included. Nested values are shared: the tenant
// never changes a nested map in place (copy-on-write), so the result can be
// encoded after the tenant's lock is released.
func (q *query) project(props map[string]any) map[string]any {
	if len(q.sel) == 0 {
		return cloneProps(props)
	}
	out := map[string]any{}
	for _, s := range q.sel {
		for k, v := range props {
			if strings.EqualFold(k, s) {
				out[k] = v
			}
		}
	}
	if id, ok := props["id"]; ok {
		out["id"] = id
	}
	return out
}

func contextURL(base, version, suffix string) string {
	return base + "/" + version + "/$metadata#" + suffix
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64url(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// selectSuffix is "(a,b)" for a $select, for @odata.context.
func (q *query) selectSuffix() string {
	if len(q.sel) == 0 {
		return ""
	}
	return "(" + strings.Join(q.sel, ",") + ")"
}
