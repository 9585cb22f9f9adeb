package graphcorpus_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fixture is one documented example: testdata/<name>.json.
type fixture struct {
	name string
	// Page is the Microsoft Learn API reference page the response shape
	// follows (host and path).
	Page string `json:"page"`
	// Call is the request's method and route as the simulator names it.
	Call string `json:"call"`
	// Request is the request sent to the simulator for the shape check,
	// with placeholders ({app}, {appId}, {sp}, {user}, {upn}, {group},
	// {policy}, …) for the simulated tenant's ids.
	Request string `json:"request"`
	Body    any    `json:"body"`
	// Headers are request headers the call sends (ConsistencyLevel).
	Headers map[string]string `json:"headers"`
	Status  int               `json:"status"`
	// Decoder is the real decoder the code uses: "sdk:<Model>" (the SDK's
	// parsable factory) or "rest:<what>" (graphrest or lookup, driven over
	// the wire against the fixture).
	Decoder string `json:"decoder"`
	// Reads are the paths the code reads ("value[]/id": the first item's
	// id); each must decode and exist with the same JSON type in the
	// simulator's answer.
	Reads []string `json:"reads"`
	// When selects this fixture for requests whose query contains it (a
	// variant of a route).
	When     string          `json:"when"`
	Response json.RawMessage `json:"response"`
}

func (f fixture) method() string { return strings.SplitN(f.Call, " ", 2)[0] }
func (f fixture) route() string  { return strings.SplitN(f.Call, " ", 2)[1] }

// loadFixtures reads testdata/*.json.
func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	sort.Strings(paths)
	var out []fixture
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f fixture
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f.name = strings.TrimSuffix(filepath.Base(p), ".json")
		if !strings.HasPrefix(f.Page, "learn.microsoft.com/graph/") || f.Call == "" || f.Request == "" || f.Status == 0 || f.Decoder == "" {
			t.Fatalf("%s: a fixture names its Learn page, call, request, status and decoder: %+v", p, f)
		}
		out = append(out, f)
	}
	return out
}

// at returns the value at path in a decoded JSON document ("a[]/b": the
// first item of a, then its b) and whether it exists.
func at(doc any, path string) (any, bool) {
	cur := doc
	for _, seg := range strings.Split(path, "/") {
		list := strings.HasSuffix(seg, "[]")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[strings.TrimSuffix(seg, "[]")]; !ok {
			return nil, false
		}
		if list {
			items, ok := cur.([]any)
			if !ok || len(items) == 0 {
				return nil, false
			}
			cur = items[0]
		}
	}
	return cur, true
}

// jsonType names a decoded JSON value's type.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// TestFixturesAreWellFormed: each fixture's reads exist in its own
// response, and each route has one fixture per variant.
func TestFixturesAreWellFormed(t *testing.T) {
	seen := map[string]string{}
	for _, f := range loadFixtures(t) {
		key := f.Call + " " + f.When
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s document the same call %s", other, f.name, key)
		}
		seen[key] = f.name
		if f.Status == 204 {
			if string(f.Response) != "null" || len(f.Reads) > 0 {
				t.Errorf("%s: a 204 answer has no body", f.name)
			}
			continue
		}
		var doc any
		if err := json.Unmarshal(f.Response, &doc); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		for _, p := range f.Reads {
			if v, ok := at(doc, p); !ok || v == nil {
				t.Errorf("%s: read path %s is not in the example", f.name, p)
			}
		}
	}
}
