package infra_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The Bicep CLI cannot run here, so these helpers read Bicep text just well
// enough for structural checks: strings and comments are blanked out (keeping
// every byte offset and newline) so that braces can be matched and top-level
// keys found without being fooled by '${...}' interpolations or comments.

// blankBicep returns src with the contents of comments and string literals
// replaced by spaces. Interpolations inside strings are blanked too.
func blankBicep(src string) string {
	b := []byte(src)
	out := make([]byte, len(b))
	copy(out, b)
	blank := func(i int) {
		if out[i] != '\n' {
			out[i] = ' '
		}
	}
	i := 0
	for i < len(b) {
		switch {
		case strings.HasPrefix(src[i:], "//"):
			for i < len(b) && b[i] != '\n' {
				blank(i)
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			stop := len(b)
			if end >= 0 {
				stop = i + 2 + end + 2
			}
			for ; i < stop; i++ {
				blank(i)
			}
		case strings.HasPrefix(src[i:], "'''"):
			end := strings.Index(src[i+3:], "'''")
			stop := len(b)
			if end >= 0 {
				stop = i + 3 + end + 3
			}
			for j := i + 3; j < stop-3 && j < len(b); j++ {
				blank(j)
			}
			i = stop
		case b[i] == '\'':
			i = skipString(b, i, blank)
		default:
			i++
		}
	}
	return string(out)
}

// skipString blanks the string literal starting at b[start] (a quote),
// including any ${...} interpolation, and returns the index after it.
func skipString(b []byte, start int, blank func(int)) int {
	i := start + 1
	for i < len(b) {
		switch {
		case b[i] == '\\' && i+1 < len(b):
			blank(i)
			blank(i + 1)
			i += 2
		case b[i] == '\'':
			return i + 1
		case b[i] == '$' && i+1 < len(b) && b[i+1] == '{':
			blank(i)
			blank(i + 1)
			i += 2
			depth := 1
			for i < len(b) && depth > 0 {
				switch b[i] {
				case '{':
					depth++
				case '}':
					depth--
				case '\'':
					j := skipString(b, i, blank)
					for k := i; k < j; k++ {
						blank(k)
					}
					i = j
					continue
				}
				blank(i)
				i++
			}
		default:
			blank(i)
			i++
		}
	}
	return i
}

// block returns the offsets of the text between the brace that opens at or
// after from in blanked text and its matching closing brace.
func block(blanked string, from int) (start, end int, err error) {
	open := strings.IndexByte(blanked[from:], '{')
	if open < 0 {
		return 0, 0, fmt.Errorf("no '{' after offset %d", from)
	}
	open += from
	depth := 0
	for i := open; i < len(blanked); i++ {
		switch blanked[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return open + 1, i, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("unbalanced '{' at offset %d", open)
}

var keyLine = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:`)

// topLevelKeys lists the object keys at the outermost level of the blanked
// object body blanked[start:end]: lines that start at nesting depth 0 with
// `name:`.
func topLevelKeys(blanked string, start, end int) []string {
	var keys []string
	depth := 0
	for _, line := range strings.SplitAfter(blanked[start:end], "\n") {
		if depth == 0 {
			if m := keyLine.FindStringSubmatch(line); m != nil {
				keys = append(keys, m[1])
			}
		}
		for _, c := range line {
			switch c {
			case '{', '[', '(':
				depth++
			case '}', ']', ')':
				depth--
			}
		}
	}
	return keys
}

// bicepParam is one `param` declaration.
type bicepParam struct {
	Name     string
	Optional bool // has a default value or a nullable type
}

var paramDecl = regexp.MustCompile(`(?m)^param\s+([A-Za-z_][A-Za-z0-9_]*)\s+([^\n=]*?)\s*(=.*)?$`)

func params(src string) map[string]bicepParam {
	out := map[string]bicepParam{}
	for _, m := range paramDecl.FindAllStringSubmatch(blankBicep(src), -1) {
		out[m[1]] = bicepParam{Name: m[1], Optional: m[3] != "" || strings.HasSuffix(strings.TrimSpace(m[2]), "?")}
	}
	return out
}

var outputDecl = regexp.MustCompile(`(?m)^output\s+([A-Za-z_][A-Za-z0-9_]*)\s`)

func outputs(src string) map[string]bool {
	out := map[string]bool{}
	for _, m := range outputDecl.FindAllStringSubmatch(blankBicep(src), -1) {
		out[m[1]] = true
	}
	return out
}

// moduleRef is one `module name 'path' = ... { params: {...} }` in a template.
type moduleRef struct {
	Symbol string
	Path   string
	Params []string
}

var moduleDecl = regexp.MustCompile(`(?m)^module\s+([A-Za-z_][A-Za-z0-9_]*)\s+'([^']+)'\s*=`)

func modules(t *testing.T, src string) []moduleRef {
	t.Helper()
	blanked := blankBicep(src)
	var refs []moduleRef
	for _, m := range moduleDecl.FindAllStringSubmatchIndex(src, -1) {
		ref := moduleRef{Symbol: src[m[2]:m[3]], Path: src[m[4]:m[5]]}
		bodyStart, bodyEnd, err := block(blanked, m[1])
		if err != nil {
			t.Fatalf("module %s: %v", ref.Symbol, err)
		}
		body := blanked[bodyStart:bodyEnd]
		loc := regexp.MustCompile(`(?m)^\s*params\s*:\s*\{`).FindStringIndex(body)
		if loc != nil {
			ps, pe, err := block(blanked, bodyStart+loc[0])
			if err != nil {
				t.Fatalf("module %s params: %v", ref.Symbol, err)
			}
			ref.Params = topLevelKeys(blanked, ps, pe)
		}
		refs = append(refs, ref)
	}
	return refs
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

func TestBlankBicepKeepsStructure(t *testing.T) {
	src := "var a = { // c { \n  k: 'x${f({ y: 1 })}\\' }'\n  /* } */ j: '''\n}'''\n}\n"
	got := blankBicep(src)
	if len(got) != len(src) || strings.Count(got, "\n") != strings.Count(src, "\n") {
		t.Fatalf("blanking changed offsets:\n%q\n%q", src, got)
	}
	start, end, err := block(got, 0)
	if err != nil {
		t.Fatal(err)
	}
	if keys := topLevelKeys(got, start, end); strings.Join(keys, ",") != "k,j" {
		t.Errorf("keys = %v, want [k j] (from %q)", keys, got)
	}
}

// TestMainReferencesEveryModule: every file under modules/ is used by
// main.bicep, every module main.bicep uses exists, the params it passes are
// declared by the module, and every required module param is passed.
func TestMainReferencesEveryModule(t *testing.T) {
	mainSrc := readFile(t, filepath.Join("bicep", "main.bicep"))
	refs := modules(t, mainSrc)
	if len(refs) == 0 {
		t.Fatal("main.bicep declares no modules")
	}
	used := map[string]bool{}
	for _, ref := range refs {
		path := filepath.Join("bicep", filepath.FromSlash(ref.Path))
		used[filepath.Clean(path)] = true
		modSrc, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("module %s: %s does not exist", ref.Symbol, ref.Path)
			continue
		}
		declared := params(string(modSrc))
		passed := map[string]bool{}
		for _, p := range ref.Params {
			passed[p] = true
			if _, ok := declared[p]; !ok {
				t.Errorf("module %s passes param %q that %s does not declare", ref.Symbol, p, ref.Path)
			}
		}
		for name, p := range declared {
			if !p.Optional && !passed[name] {
				t.Errorf("module %s does not pass required param %q of %s", ref.Symbol, name, ref.Path)
			}
		}
		// Every <symbol>.outputs.<name> used in main.bicep is an output of the module.
		outs := outputs(string(modSrc))
		re := regexp.MustCompile(`\b` + ref.Symbol + `\.outputs\.([A-Za-z_][A-Za-z0-9_]*)`)
		for _, m := range re.FindAllStringSubmatch(mainSrc, -1) {
			if !outs[m[1]] {
				t.Errorf("main.bicep reads %s.outputs.%s, which %s does not declare", ref.Symbol, m[1], ref.Path)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("bicep", "modules", "*.bicep"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !used[filepath.Clean(f)] {
			t.Errorf("%s is not used by main.bicep: reference it or delete it", f)
		}
	}
}

// TestParametersExample: the example parameters file sets only parameters
// main.bicep declares, and every required one.
func TestParametersExample(t *testing.T) {
	declared := params(readFile(t, filepath.Join("bicep", "main.bicep")))
	var file struct {
		Parameters map[string]any `json:"parameters"`
	}
	decodeJSON(t, filepath.Join("bicep", "main.parameters.example.json"), &file)
	for name := range file.Parameters {
		if _, ok := declared[name]; !ok {
			t.Errorf("main.parameters.example.json sets %q, which main.bicep does not declare", name)
		}
	}
	for name, p := range declared {
		if _, ok := file.Parameters[name]; !p.Optional && !ok {
			t.Errorf("main.parameters.example.json lacks required parameter %q", name)
		}
	}
}

// TestTemplateShape pins the facts other parts of the project rely on.
func TestTemplateShape(t *testing.T) {
	mainSrc := readFile(t, filepath.Join("bicep", "main.bicep"))
	outs := outputs(mainSrc)
	// deploy.yml and infra/deploy.sh read these outputs.
	for _, o := range []string{"functionAppName", "defaultHostName", "metadataUrl", "metadataXmlUrl", "federationMetadataUrlPattern", "principalId", "keyVaultName", "graphPermissionsGranted"} {
		if !outs[o] {
			t.Errorf("main.bicep has no output %q (infra/deploy.sh reads it)", o)
		}
	}
	app := readFile(t, filepath.Join("bicep", "modules", "functionapp.bicep"))
	for _, want := range []string{"tier: 'FlexConsumption'", "name: 'custom'", "version: '1.0'", "type: 'SystemAssigned'", "type: 'SystemAssignedIdentity'",
		// no basic-auth publishing, no FTP: only Entra-authenticated deployments
		"ftpsState: 'Disabled'", "'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01'", "name: 'scm'", "name: 'ftp'"} {
		if !strings.Contains(app, want) {
			t.Errorf("modules/functionapp.bicep lacks %q", want)
		}
	}

	files, err := filepath.Glob(filepath.Join("bicep", "*.bicep"))
	if err != nil {
		t.Fatal(err)
	}
	mods, _ := filepath.Glob(filepath.Join("bicep", "modules", "*.bicep"))
	files = append(files, mods...)
	resourceDecl := regexp.MustCompile(`(?m)^\s*resource\s+\w+\s+'([^'@]+)@([^']+)'`)
	apiVersion := regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}(-preview)?|v1\.0)$`)
	for _, f := range files {
		src := readFile(t, f)
		for _, m := range resourceDecl.FindAllStringSubmatch(src, -1) {
			if !apiVersion.MatchString(m[2]) {
				t.Errorf("%s: resource type %s has API version %q", f, m[1], m[2])
			}
			if strings.HasPrefix(m[1], "Microsoft.Graph/") && !regexp.MustCompile(`(?m)^extension\s+microsoftGraphV1\s*$`).MatchString(src) {
				t.Errorf("%s uses %s without `extension microsoftGraphV1`", f, m[1])
			}
		}
		if strings.Contains(src, "extension microsoftGraphV1") {
			cfg := readFile(t, filepath.Join("bicep", "bicepconfig.json"))
			if !strings.Contains(cfg, `"microsoftGraphV1": "br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:`) {
				t.Errorf("%s declares extension microsoftGraphV1 but bicepconfig.json has no such alias", f)
			}
		}
	}
}

// decorators returns the decorator lines (`@minValue(40)`, `@allowed([…])`
// folded onto one line) directly above `param name` in src, and the param's
// default value expression ("" when it has none).
func decorators(t *testing.T, src, name string) (decs []string, def string) {
	t.Helper()
	lines := strings.Split(src, "\n")
	decl := regexp.MustCompile(`^param\s+` + regexp.QuoteMeta(name) + `\s+\w+\s*(=\s*(.*))?$`)
	for i, l := range lines {
		m := decl.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		def = strings.TrimSpace(m[2])
		var cur []string
		for j := i - 1; j >= 0; j-- {
			s := strings.TrimSpace(lines[j])
			if s == "" || strings.HasPrefix(s, "//") {
				break
			}
			cur = append([]string{s}, cur...)
			if strings.HasPrefix(s, "@") {
				decs = append([]string{strings.Join(cur, " ")}, decs...)
				cur = nil
			}
		}
		return decs, def
	}
	t.Fatalf("no `param %s` declaration", name)
	return nil, ""
}

// TestFlexConsumptionLimits: the scale settings accept only what Flex
// Consumption accepts, so a deployment is not refused by the platform:
// maximumInstanceCount 40–1000 ("Set instance limits",
// learn.microsoft.com/azure/azure-functions/flex-consumption-how-to) and
// instanceMemoryMB 2048 or 4096 (Microsoft.Web/sites@2024-04-01,
// functionAppConfig.scaleAndConcurrency.instanceMemoryMB).
func TestFlexConsumptionLimits(t *testing.T) {
	for _, f := range []string{filepath.Join("bicep", "main.bicep"), filepath.Join("bicep", "modules", "functionapp.bicep")} {
		src := readFile(t, f)
		decs, def := decorators(t, src, "maximumInstanceCount")
		joined := strings.Join(decs, " ")
		if !strings.Contains(joined, "@minValue(40)") || !strings.Contains(joined, "@maxValue(1000)") {
			t.Errorf("%s: maximumInstanceCount must be @minValue(40) @maxValue(1000), has %q", f, joined)
		}
		if n, err := strconv.Atoi(def); err != nil || n < 40 || n > 1000 {
			t.Errorf("%s: maximumInstanceCount default %q is outside 40–1000", f, def)
		}
		decs, def = decorators(t, src, "instanceMemoryMB")
		allowed := regexp.MustCompile(`@allowed\(\[\s*([0-9\s]+)\]\)`).FindStringSubmatch(strings.Join(decs, " "))
		if allowed == nil || strings.Join(strings.Fields(allowed[1]), ",") != "2048,4096" {
			t.Errorf("%s: instanceMemoryMB must be @allowed([2048, 4096]), has %q", f, decs)
		}
		if def != "2048" && def != "4096" {
			t.Errorf("%s: instanceMemoryMB default %q is not 2048 or 4096", f, def)
		}
	}
}

// TestHostStorageIsIdentityBasedInEveryCloud: the host's storage is reached
// through service URIs taken from the account's endpoints (the
// `__accountName` form builds public-cloud host names, which fails in US
// Government and China), and the identity holds the table role the host's
// diagnostic events need.
func TestHostStorageIsIdentityBasedInEveryCloud(t *testing.T) {
	settings := bicepAppSettings(t)
	for name, want := range map[string]string{
		"AzureWebJobsStorage__blobServiceUri":  "storage.outputs.blobEndpoint",
		"AzureWebJobsStorage__queueServiceUri": "storage.outputs.queueEndpoint",
		"AzureWebJobsStorage__tableServiceUri": "storage.outputs.tableEndpoint",
		"AzureWebJobsStorage__credential":      "'managedidentity'",
	} {
		if got := settings[name]; got != want {
			t.Errorf("main.bicep app setting %s = %q, want %q", name, got, want)
		}
	}
	if _, ok := settings["AzureWebJobsStorage__accountName"]; ok {
		t.Error("main.bicep sets AzureWebJobsStorage__accountName: use the __blobServiceUri/__queueServiceUri/__tableServiceUri form (works in every cloud)")
	}
	storage := outputs(readFile(t, filepath.Join("bicep", "modules", "storage.bicep")))
	for _, o := range []string{"blobEndpoint", "queueEndpoint", "tableEndpoint"} {
		if !storage[o] {
			t.Errorf("modules/storage.bicep has no output %q", o)
		}
	}
	roles := readFile(t, filepath.Join("bicep", "modules", "roles.bicep"))
	if !strings.Contains(roles, "'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'") || !strings.Contains(roles, "roles.storageTableDataContributor") {
		t.Error("modules/roles.bicep does not assign Storage Table Data Contributor (0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3) to the app identity")
	}
}

// TestDeployScriptFirstTry: infra/deploy.sh registers the resource providers
// Flex Consumption needs (Microsoft.App besides Microsoft.Web, per the Flex
// Consumption how-to) before deploying, and retries the deployment once when
// the Graph permission grant meets the documented replication delay of a new
// managed identity.
func TestDeployScriptFirstTry(t *testing.T) {
	src := readFile(t, "deploy.sh")
	providers := regexp.MustCompile(`(?m)^PROVIDERS=\(([^)]*)\)`).FindStringSubmatch(src)
	if providers == nil {
		t.Fatal("deploy.sh has no PROVIDERS=(…) list")
	}
	for _, ns := range []string{"Microsoft.App", "Microsoft.Web"} {
		if !strings.Contains(" "+providers[1]+" ", " "+ns+" ") {
			t.Errorf("deploy.sh does not register resource provider %s", ns)
		}
	}
	if !strings.Contains(src, `az provider register --namespace "$ns"`) {
		t.Error("deploy.sh lists PROVIDERS but never runs az provider register for them")
	}
	if strings.Count(src, "deploy_template") < 3 || !strings.Contains(src, "Request_ResourceNotFound") {
		t.Error("deploy.sh does not retry the deployment once on the Graph replication delay")
	}
}

// TestWorkflowsPinActionsBySHA: every action a workflow uses is pinned by a
// full commit SHA with its release in a comment (a tag can be moved to other
// code; a SHA cannot), and deploy.yml runs only from main.
func TestWorkflowsPinActionsBySHA(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found: %v", err)
	}
	uses := regexp.MustCompile(`(?m)^\s*-?\s*uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	version := regexp.MustCompile(`^\s*#\s*v\d+(\.\d+)*\s*$`)
	for _, f := range files {
		src := readFile(t, f)
		for _, m := range uses.FindAllStringSubmatch(src, -1) {
			if strings.HasPrefix(m[1], "./") {
				continue // an action of this repository
			}
			if !pinned.MatchString(m[1]) || !version.MatchString(m[2]) {
				t.Errorf("%s: `uses: %s%s` is not pinned as owner/repo@<40-hex sha> # vX.Y.Z", f, m[1], m[2])
			}
		}
	}
	deploy := readFile(t, filepath.Join("..", ".github", "workflows", "deploy.yml"))
	if !strings.Contains(deploy, "if: github.ref == 'refs/heads/main'") {
		t.Error("deploy.yml's job does not refuse to run from a ref other than main")
	}
}

// TestNetworkAccessChoice: Storage, Key Vault and Service Bus take their
// public network access from main.bicep's documented networkAccess choice
// (never hard-coded), with the private-endpoint module behind 'private'.
func TestNetworkAccessChoice(t *testing.T) {
	mainSrc := readFile(t, filepath.Join("bicep", "main.bicep"))
	for _, want := range []string{"param networkAccess string = 'public'", "'private'", "module network './modules/network.bicep' = if (networkAccess == 'private')",
		"publicNetworkAccess: publicNetworkAccess"} {
		if !strings.Contains(mainSrc, want) {
			t.Errorf("main.bicep lacks %q", want)
		}
	}
	for _, m := range []string{"storage", "keyvault", "servicebus"} {
		src := readFile(t, filepath.Join("bicep", "modules", m+".bicep"))
		if !strings.Contains(src, "publicNetworkAccess: publicNetworkAccess") || strings.Contains(src, "publicNetworkAccess: 'Enabled'") {
			t.Errorf("modules/%s.bicep must take publicNetworkAccess from its parameter", m)
		}
	}
	netSrc := readFile(t, filepath.Join("bicep", "modules", "network.bicep"))
	for _, want := range []string{"'Microsoft.App/environments'", "name: 'blob'", "name: 'queue'", "name: 'table'", "name: 'vault'", "name: 'namespace'", "privateDnsZoneId"} {
		if !strings.Contains(netSrc, want) {
			t.Errorf("modules/network.bicep lacks %q", want)
		}
	}
	deploy := readFile(t, filepath.Join("..", "docs", "deploy.md"))
	if !strings.Contains(deploy, "networkAccess") || !strings.Contains(deploy, "## Network") {
		t.Errorf("docs/deploy.md must document the networkAccess choice in a Network section")
	}
}
