package funchost

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Envelope is what the host POSTs to /{FunctionName}: trigger and input data
// keyed by binding name, and metadata.
type Envelope struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata Metadata                   `json:"Metadata"`
}

// Metadata is the envelope's Metadata object. Trigger metadata keys other
// than sys are kept raw.
type Metadata struct {
	Sys          SysMetadata     `json:"sys"`
	RetryContext json.RawMessage `json:"RetryContext,omitempty"`
}

// SysMetadata is Metadata.sys.
type SysMetadata struct {
	MethodName string `json:"MethodName"`
	UtcNow     string `json:"UtcNow"`
	RandGuid   string `json:"RandGuid"`
}

// HTTPTrigger is the host's JSON form of an HTTP request (Data.req).
type HTTPTrigger struct {
	URL        string              `json:"Url"`
	Method     string              `json:"Method"`
	Query      flexStringMap       `json:"Query"`
	Headers    map[string][]string `json:"Headers"`
	Params     map[string]string   `json:"Params"`
	Identities json.RawMessage     `json:"Identities"`
	Body       json.RawMessage     `json:"Body"`
}

// TimerTrigger is the host's JSON form of a timer trigger (Data.timer).
type TimerTrigger struct {
	Schedule       *TimerSchedule       `json:"Schedule"`
	ScheduleStatus *TimerScheduleStatus `json:"ScheduleStatus"` // null when useMonitor is off
	IsPastDue      bool                 `json:"IsPastDue"`
}

// TimerSchedule is TimerTrigger.Schedule.
type TimerSchedule struct {
	AdjustForDST bool `json:"AdjustForDST"`
}

// TimerScheduleStatus is TimerTrigger.ScheduleStatus.
type TimerScheduleStatus struct {
	Last        string `json:"Last"`
	Next        string `json:"Next"`
	LastUpdated string `json:"LastUpdated"`
}

// flexStringMap accepts Query in both forms hosts send: an object of strings
// (newer hosts) or a JSON string holding that object (older hosts).
type flexStringMap map[string]string

func (m *flexStringMap) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*m = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			*m = nil
			return nil
		}
		b = []byte(s)
	}
	var out map[string]string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("Query must be an object of strings (or a JSON string of one): %w", err)
	}
	*m = out
	return nil
}

// Response is what a function answers to its HTTP caller; it becomes
// Outputs.res. Body bytes are sent as a string.
type Response struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// answer is the JSON the handler returns to the host.
type answer struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// httpOutput is Outputs.res.
type httpOutput struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       string            `json:"body"`
}

// decodeBody turns req.Body into the bytes the caller sent. The host sends
// text bodies as a JSON string (the exact text) and octet-stream/multipart
// bodies as bytes (base64 in a JSON string); an absent body is nil.
func decodeBody(raw json.RawMessage, contentType string) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '"' {
		// Some hosts hand a JSON body over already parsed; re-encode it.
		if !json.Valid(raw) {
			return nil, fmt.Errorf("req.Body is neither a string nor JSON")
		}
		return []byte(raw), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("req.Body: %w", err)
	}
	if isBinaryContentType(contentType) {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("req.Body of a %s request must be base64: %w", contentType, err)
		}
		return b, nil
	}
	return []byte(s), nil
}

func isBinaryContentType(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(ct))
	return strings.HasPrefix(ct, "application/octet-stream") || strings.HasPrefix(ct, "multipart/")
}

// canonicalHeaders converts the host's header object to an http.Header.
func canonicalHeaders(h map[string][]string) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out.Add(k, v)
		}
	}
	return out
}
