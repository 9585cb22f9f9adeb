package infra_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// tier0 are Graph application permissions that let their holder reach
// Global Administrator (grant itself any role or permission, or write any
// directory object): never in the default deployment (docs/security.md).
func tier0(p string) bool {
	switch p {
	case "AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "Directory.ReadWrite.All":
		return true
	}
	return strings.HasPrefix(p, "RoleManagement.")
}

// bicepArray reads the default of `param name array = [ … ]` in main.bicep.
func bicepArray(t *testing.T, src, name string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)param ` + name + ` array = \[(.*?)\]`).FindStringSubmatch(src)
	if m == nil {
		t.Fatalf("main.bicep has no param %s array", name)
	}
	return regexp.MustCompile(`'([^']+)'`).FindAllString(m[1], -1)
}

// shellArray reads `NAME=( … )` in the grant script.
func shellArray(t *testing.T, src, name string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)\n` + name + `=\((.*?)\)`).FindStringSubmatch(src)
	if m == nil {
		t.Fatalf("grant-graph-permissions.sh has no %s=( … )", name)
	}
	return strings.Fields(m[1])
}

func unquote(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, strings.Trim(s, "'`"))
	}
	slices.Sort(out)
	return out
}

// readmePermissions reads README's "## Permissions" table: rows
// | `Permission` | default / opt-in | … |.
func readmePermissions(t *testing.T) (def, optIn []string) {
	t.Helper()
	readme := readFile(t, filepath.Join("..", "README.md"))
	i := strings.Index(readme, "\n## Permissions\n")
	if i < 0 {
		t.Fatal("README.md has no \"## Permissions\" section")
	}
	sec := readme[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Za-z.]+)` \\| (default|opt-in) \\|").FindAllStringSubmatch(sec, -1) {
		if m[2] == "default" {
			def = append(def, m[1])
		} else {
			optIn = append(optIn, m[1])
		}
	}
	return unquote(def), unquote(optIn)
}

// TestDefaultGraphPermissionsAreLeastPrivilege: Bicep's graphAppRoles, the
// grant script's default list, README's permission table and
// docs/security.md name the same permissions, none of them tier 0; the
// opt-in lists agree too.
func TestDefaultGraphPermissionsAreLeastPrivilege(t *testing.T) {
	bicep := readFile(t, filepath.Join("bicep", "main.bicep"))
	script := readFile(t, "grant-graph-permissions.sh")
	security := readFile(t, filepath.Join("..", "docs", "security.md"))
	m := regexp.MustCompile("(?s)<!-- BEGIN DEFAULT PERMISSIONS -->(.*?)<!-- END DEFAULT PERMISSIONS -->").FindStringSubmatch(security)
	if m == nil {
		t.Fatal("docs/security.md has no DEFAULT PERMISSIONS list")
	}
	readmeDef, readmeOpt := readmePermissions(t)
	defaults := map[string][]string{
		"main.bicep graphAppRoles":               unquote(bicepArray(t, bicep, "graphAppRoles")),
		"grant-graph-permissions.sh PERMISSIONS": unquote(shellArray(t, script, "PERMISSIONS")),
		"README.md permission table (default)":   readmeDef,
		"docs/security.md default permissions":   unquote(regexp.MustCompile("`[^`]+`").FindAllString(m[1], -1)),
	}
	want := defaults["main.bicep graphAppRoles"]
	for where, got := range defaults {
		for _, p := range got {
			if tier0(p) {
				t.Errorf("%s holds the tier-0 permission %s: the default deployment must not (docs/security.md)", where, p)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, main.bicep graphAppRoles = %v: they must agree", where, got, want)
		}
	}
	optIn := map[string][]string{
		"main.bicep graphPrivilegedAppRoles":                unquote(bicepArray(t, bicep, "graphPrivilegedAppRoles")),
		"grant-graph-permissions.sh PRIVILEGED_PERMISSIONS": unquote(shellArray(t, script, "PRIVILEGED_PERMISSIONS")),
		"README.md permission table (opt-in)":               readmeOpt,
	}
	for where, got := range optIn {
		if !slices.Equal(got, optIn["main.bicep graphPrivilegedAppRoles"]) {
			t.Errorf("%s = %v, main.bicep graphPrivilegedAppRoles = %v: they must agree", where, got, optIn["main.bicep graphPrivilegedAppRoles"])
		}
	}
	if !strings.Contains(bicep, "param grantPrivilegedGraphRoles bool = false") {
		t.Error("main.bicep: the privileged opt-in must be a parameter that defaults to false")
	}
}

// TestTier0 keeps the tier-0 rule honest.
func TestTier0(t *testing.T) {
	for _, p := range []string{"AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"} {
		if !tier0(p) {
			t.Errorf("%s must count as tier 0", p)
		}
	}
	if tier0("Application.ReadWrite.OwnedBy") || tier0("Policy.Read.All") {
		t.Error("a read or an owned-app write is not tier 0")
	}
}
