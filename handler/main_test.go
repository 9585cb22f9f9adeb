package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/app"
	"github.com/identity-ops/aircall-entra-sso/handler/config"
)

// TestSubcommandHelpNeedsNoSettings: `handler <command> -h` prints that
// command's flags on a machine without a single app setting (it used to
// load the configuration first and fail).
func TestSubcommandHelpNeedsNoSettings(t *testing.T) {
	for _, s := range config.Settings {
		t.Setenv(s.Name, "")
	}
	want := map[string][]string{
		"provision": {"-dry-run", "-display-name", "-assign"},
		"archive":   {"-json"},
		"audit":     {"-dry-run", "-full", "-scope", "-json"},
		"diagnose":  {"-ticket", "-enqueue", "-json"},
	}
	for _, c := range app.Commands() {
		for _, h := range []string{"-h", "--help"} {
			var out, errOut bytes.Buffer
			if code := run([]string{c.Name, h}, &out, &errOut); code != 0 {
				t.Errorf("handler %s %s: exit %d, stderr %s", c.Name, h, code, errOut.String())
			}
			if !strings.Contains(out.String(), "usage: "+c.Usage) {
				t.Errorf("handler %s %s: no usage line:\n%s", c.Name, h, out.String())
			}
			for _, f := range want[c.Name] {
				if !strings.Contains(out.String(), f) {
					t.Errorf("handler %s %s does not list %s:\n%s", c.Name, h, f, out.String())
				}
			}
		}
		delete(want, c.Name)
	}
	if len(want) > 0 {
		t.Errorf("commands missing: %v", want)
	}
	// Without -h the same machine is told what is wrong with its settings.
	var out, errOut bytes.Buffer
	if code := run([]string{"archive"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "ENTRA_TENANT_ID") {
		t.Errorf("handler archive without settings: exit %d, %s", code, errOut.String())
	}
}

func TestUsageAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"help"}, &out, &errOut); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, c := range app.Commands() {
		if !strings.Contains(out.String(), c.Name+" ") || !strings.Contains(out.String(), c.Summary) {
			t.Errorf("usage lacks %s:\n%s", c.Name, out.String())
		}
	}
	if code := run([]string{"nope"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown command "nope"`) {
		t.Errorf("unknown command: exit %d, %s", code, errOut.String())
	}
	if code := run([]string{"audit", "--scope", "some"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--scope must be assigned or all") {
		t.Errorf("bad flag: exit %d, %s", code, errOut.String())
	}
}
