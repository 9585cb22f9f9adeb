// Package devhost is a small stand-in for the Azure Functions host, for CI,
// the demo and machines without Core Tools. It follows the custom-handler
// contract (docs/architecture.md, "Functions host contract") to the letter: it reads each
// <app root>/<name>/function.json, starts the handler binary with
// FUNCTIONS_CUSTOMHANDLER_PORT and polls GET / until it answers, serves
// /api/{route} on 127.0.0.1 with the declared methods and auth levels, turns
// each request into the host's envelope, fires timers on demand (also through
// the host's admin API), and maps Outputs.res back to an HTTP response.
//
// A wrong route, method, auth level or binding in a function.json therefore
// fails a test. It is test and demo code: the production binary never
// imports it.
package devhost

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Binding is one entry of function.json's bindings.
type Binding struct {
	Type         string   `json:"type"`
	Direction    string   `json:"direction"`
	Name         string   `json:"name"`
	AuthLevel    string   `json:"authLevel,omitempty"`
	Methods      []string `json:"methods,omitempty"`
	Route        string   `json:"route,omitempty"`
	Schedule     string   `json:"schedule,omitempty"`
	RunOnStartup *bool    `json:"runOnStartup,omitempty"`
	UseMonitor   *bool    `json:"useMonitor,omitempty"`
}

// Function is one function folder.
type Function struct {
	Name     string
	Bindings []Binding `json:"bindings"`
	// Trigger is the trigger binding.
	Trigger Binding
	// Route is the effective route (the name when function.json has none).
	Route string
}

// IsHTTP reports whether the function has an HTTP trigger.
func (f *Function) IsHTTP() bool { return f.Trigger.Type == "httpTrigger" }

// IsTimer reports whether the function has a timer trigger.
func (f *Function) IsTimer() bool { return f.Trigger.Type == "timerTrigger" }

var validMethods = map[string]bool{"get": true, "post": true, "put": true, "delete": true, "patch": true, "head": true, "options": true, "trace": true}

// LoadFunctions reads every <dir>/*/function.json and validates it. dir is an
// app root or the repository's functions/ folder.
func LoadFunctions(dir string) ([]*Function, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "function.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no */function.json under %s", dir)
	}
	sort.Strings(paths)
	var out []*Function
	routes := map[string]string{}
	for _, p := range paths {
		f, err := ParseFunction(filepath.Base(filepath.Dir(p)), p)
		if err != nil {
			return nil, err
		}
		if f.IsHTTP() {
			key := strings.ToLower(f.Route)
			if other, dup := routes[key]; dup {
				return nil, fmt.Errorf("functions %s and %s both use route %q", other, f.Name, f.Route)
			}
			routes[key] = f.Name
		}
		out = append(out, f)
	}
	return out, nil
}

// ParseFunction reads and validates one function.json.
func ParseFunction(name, path string) (*Function, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := &Function{Name: name}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return f, nil
}

func (f *Function) validate() error {
	var triggers []Binding
	var httpOut bool
	for i, b := range f.Bindings {
		if b.Name == "" {
			return fmt.Errorf("binding %d has no name", i)
		}
		if b.Direction != "in" && b.Direction != "out" && b.Direction != "inout" {
			return fmt.Errorf("binding %q: direction must be in or out, got %q", b.Name, b.Direction)
		}
		if strings.HasSuffix(b.Type, "Trigger") {
			if b.Direction != "in" {
				return fmt.Errorf("trigger %q must have direction in", b.Name)
			}
			triggers = append(triggers, b)
		}
		if b.Type == "http" && b.Direction == "out" {
			httpOut = true
		}
	}
	if len(triggers) != 1 {
		return fmt.Errorf("a function needs exactly one trigger binding, found %d", len(triggers))
	}
	f.Trigger = triggers[0]
	switch f.Trigger.Type {
	case "httpTrigger":
		switch f.Trigger.AuthLevel {
		case "anonymous", "function", "admin":
		default:
			return fmt.Errorf("httpTrigger authLevel must be anonymous, function or admin, got %q", f.Trigger.AuthLevel)
		}
		if len(f.Trigger.Methods) == 0 {
			return fmt.Errorf("httpTrigger must list its methods (an empty list accepts every method)")
		}
		for _, m := range f.Trigger.Methods {
			if !validMethods[strings.ToLower(m)] {
				return fmt.Errorf("httpTrigger method %q is not an HTTP method", m)
			}
		}
		if !httpOut {
			return fmt.Errorf("an httpTrigger function needs an http output binding (res)")
		}
		f.Route = strings.Trim(f.Trigger.Route, "/")
		if f.Route == "" {
			f.Route = f.Name
		}
		if strings.HasPrefix(f.Route, "api/") {
			return fmt.Errorf("route %q must not start with api/ (the host adds it)", f.Route)
		}
		if _, err := compileRoute(f.Route); err != nil {
			return err
		}
	case "timerTrigger":
		if err := validateNCRONTAB(f.Trigger.Schedule); err != nil {
			return fmt.Errorf("timerTrigger schedule: %v", err)
		}
		if httpOut {
			return fmt.Errorf("a timer function has no http output")
		}
	default:
		return fmt.Errorf("trigger type %q is not one this app uses (httpTrigger, timerTrigger)", f.Trigger.Type)
	}
	return nil
}

// validateNCRONTAB checks a six-field NCRONTAB expression (seconds first) or
// a TimeSpan like 01:00:00.
func validateNCRONTAB(s string) error {
	fields := strings.Fields(s)
	if len(fields) == 1 && strings.Count(s, ":") == 2 {
		return nil
	}
	if len(fields) != 6 {
		return fmt.Errorf("%q must have six fields (second minute hour day month day-of-week)", s)
	}
	for _, fl := range fields {
		for _, r := range fl {
			if !(r >= '0' && r <= '9' || strings.ContainsRune("*/,-", r) || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
				return fmt.Errorf("%q: unexpected %q in field %q", s, r, fl)
			}
		}
	}
	return nil
}

// route is a compiled route template like "webhooks/{source}".
type route struct {
	segs []string // literal, or "{name}" / "{name?}"
}

func compileRoute(tmpl string) (*route, error) {
	r := &route{}
	for _, s := range strings.Split(tmpl, "/") {
		if s == "" {
			return nil, fmt.Errorf("route %q has an empty segment", tmpl)
		}
		if strings.HasPrefix(s, "{") != strings.HasSuffix(s, "}") {
			return nil, fmt.Errorf("route %q: unbalanced braces in %q", tmpl, s)
		}
		r.segs = append(r.segs, s)
	}
	return r, nil
}

// match returns route params when path (without /api/) matches.
func (r *route) match(path string) (map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, s := range r.segs {
		isParam := strings.HasPrefix(s, "{")
		name := strings.TrimSuffix(strings.Trim(s, "{}"), "?")
		if n, _, ok := strings.Cut(name, ":"); ok {
			name = n
		}
		optional := strings.HasSuffix(strings.Trim(s, "{}"), "?")
		if i >= len(parts) || parts[i] == "" {
			if isParam && optional {
				continue
			}
			return nil, false
		}
		if isParam {
			params[name] = parts[i]
		} else if !strings.EqualFold(s, parts[i]) {
			return nil, false
		}
	}
	if len(parts) > len(r.segs) {
		return nil, false
	}
	return params, true
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
