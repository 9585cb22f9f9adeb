package funchost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// DecodeInvocation decodes a host envelope for function name. It finds the
// trigger by shape: an object with Method and Url is an HTTP request, one
// with IsPastDue or Schedule is a timer. Unknown fields are ignored (hosts
// add them); anything that is not an envelope is refused with a message
// naming what is wrong.
func DecodeInvocation(raw []byte, name, invocationID string, now func() time.Time) (*Invocation, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty envelope for function %q: expected {\"Data\":{…},\"Metadata\":{…}}", name)
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("malformed envelope for function %q: %v", name, err)
	}
	if env.Data == nil {
		return nil, fmt.Errorf("envelope for function %q has no Data object", name)
	}
	inv := &Invocation{ID: invocationID, Function: name, Now: now().UTC()}
	if t, err := time.Parse(time.RFC3339Nano, env.Metadata.Sys.UtcNow); err == nil {
		inv.Now = t.UTC()
	}
	keys := make([]string, 0, len(env.Data))
	for k := range env.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := bytes.TrimSpace(env.Data[k])
		if len(v) == 0 || v[0] != '{' {
			continue
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(v, &probe); err != nil {
			return nil, fmt.Errorf("Data.%s: %v", k, err)
		}
		_, hasMethod := probe["Method"]
		_, hasURL := probe["Url"]
		_, hasPastDue := probe["IsPastDue"]
		_, hasSchedule := probe["Schedule"]
		switch {
		case hasMethod && hasURL:
			req, err := decodeHTTP(k, v)
			if err != nil {
				return nil, err
			}
			inv.HTTP = req
		case hasPastDue || hasSchedule:
			t, err := decodeTimer(k, v)
			if err != nil {
				return nil, err
			}
			inv.Timer = t
		}
	}
	if inv.HTTP == nil && inv.Timer == nil {
		return nil, fmt.Errorf("envelope for function %q carries no HTTP request (Data.<name> with Method and Url) and no timer (Data.<name> with IsPastDue)", name)
	}
	return inv, nil
}

func decodeHTTP(key string, v []byte) (*HTTPRequest, error) {
	var t HTTPTrigger
	if err := json.Unmarshal(v, &t); err != nil {
		return nil, fmt.Errorf("Data.%s is not an HTTP request: %v", key, err)
	}
	if strings.TrimSpace(t.Method) == "" {
		return nil, fmt.Errorf("Data.%s.Method is empty", key)
	}
	h := canonicalHeaders(t.Headers)
	body, err := decodeBody(t.Body, h.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("Data.%s: %v", key, err)
	}
	return &HTTPRequest{
		Method: strings.ToUpper(t.Method), URL: t.URL, Query: t.Query, Headers: h,
		Params: t.Params, Identities: t.Identities, Body: body,
	}, nil
}

func decodeTimer(key string, v []byte) (*TimerInfo, error) {
	var t TimerTrigger
	if err := json.Unmarshal(v, &t); err != nil {
		return nil, fmt.Errorf("Data.%s is not a timer: %v", key, err)
	}
	ti := &TimerInfo{IsPastDue: t.IsPastDue}
	if s := t.ScheduleStatus; s != nil {
		ti.Last, _ = time.Parse(time.RFC3339Nano, s.Last)
		ti.Next, _ = time.Parse(time.RFC3339Nano, s.Next)
	}
	return ti, nil
}
