package archtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The layers of docs/architecture.md ("What may import what"). Every package
// of the module under handler/ is in exactly one; classify says which.
type layer string

const (
	root        layer = "composition root" // handler (package main), handler/app, handler/cli
	domainL     layer = "domain"           // handler/domain
	job         layer = "job"              // provision, archive, fedmeta, audit, diagnose, webhook, rules
	adapter     layer = "adapter"          // graph (all of handler/graph/...), blob, servicebus
	hostL       layer = "host contract"    // handler/funchost
	functionsL  layer = "functions"        // handler/functions
	configL     layer = "config"           // handler/config
	support     layer = "support"          // swr, inmem and any other package under handler/
	testSupport layer = "test support"     // porttest, fedmeta/fedmetatest, archtest: tests only
	devenvL     layer = "devenv"           // everything under devenv/: never linked by handler/
	otherL      layer = "other"            // the rest of the module (infra): no rule
)

// jobs are the job packages: policy lives there, talking to ports only.
var jobs = []string{"provision", "archive", "fedmeta", "audit", "diagnose", "webhook", "rules"}

// adapters maps each adapter's root package to its name. Packages below an
// adapter's root belong to it: handler/graph/... (the msgraph-sdk-go client,
// the lean REST client, lookup, claimsdoc) is ONE adapter, so its packages
// may import each other; two different adapters may not.
var adapters = map[string]string{"handler/graph": "graph", "handler/blob": "blob", "handler/servicebus": "servicebus"}

// mayImport lists, per layer, the layers of this module its non-test code
// may import. The relation is closed under composition (whatever an allowed
// layer may import is allowed too), so checking direct imports checks the
// whole dependency graph. The composition root may import every layer of
// handler/ except test support; no layer of handler/ may import devenv/.
var mayImport = map[layer][]layer{
	domainL:     {},
	job:         {domainL, job, support},
	adapter:     {domainL, adapter, support}, // only its own adapter: see checkImports
	hostL:       {domainL, support},
	functionsL:  {domainL, job, hostL, support},
	configL:     {domainL, support},
	support:     {domainL, support},
	testSupport: {root, domainL, job, adapter, hostL, functionsL, configL, support, testSupport},
	root:        {root, domainL, job, adapter, hostL, functionsL, configL, support},
}

// noSDK are the layers that must not depend on an Azure or Graph SDK, even
// through another package: they see ports and plain values only.
var noSDK = []layer{domainL, job, hostL, functionsL, configL}

// sdkPrefixes are the import paths of the Azure SDKs, msgraph-sdk-go and
// the Kiota runtime under it.
var sdkPrefixes = []string{"github.com/Azure/", "github.com/AzureAD/", "github.com/microsoftgraph/", "github.com/microsoft/kiota"}

// standIns are the local stand-ins whose behaviour follows Microsoft's
// documentation. Sharing code with the client or the contract they check
// would make the tests check our code against itself, so of handler/ they
// may depend (even indirectly) on these packages only.
var standIns = []string{"devenv/graphsim", "devenv/devhost", "devenv/sbpeer"}

var standInMayUse = map[string]string{
	"handler/domain": "Aircall's published constants (entity id, reply URL, template id) and the managed tag",
	// Exception: graphsim signs federation metadata with the one XML-DSig
	// signer the tests use. It shares the signing, never the validation:
	// fedmeta, which checks signatures, stays out of the simulator (the
	// transitive check below would catch fedmetatest importing it).
	"handler/fedmeta/fedmetatest": "Entra-shaped metadata signing, shared with the tests",
}

// goPackage is what `go list -json` says about a package.
type goPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
	Module     *struct{ Path string }
	Error      *struct{ Err string }
}

// graph is the module's packages and every package they depend on.
type graph struct {
	module string                // the module path
	pkgs   map[string]*goPackage // by import path
}

func (g *graph) rel(path string) (string, bool) {
	if path == g.module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, g.module+"/")
	return r, ok
}

// classify places a package of the module in its layer.
func classify(rel string) layer {
	under := func(root string) bool { return rel == root || strings.HasPrefix(rel, root+"/") }
	switch {
	case under("devenv"):
		return devenvL
	case !under("handler"):
		return otherL
	case strings.HasSuffix(rel, "test"):
		return testSupport
	case rel == "handler" || under("handler/app") || under("handler/cli"):
		return root
	case rel == "handler/domain":
		return domainL
	case rel == "handler/funchost":
		return hostL
	case rel == "handler/functions":
		return functionsL
	case rel == "handler/config":
		return configL
	}
	if adapterOf(rel) != "" {
		return adapter
	}
	for _, j := range jobs {
		if rel == "handler/"+j {
			return job
		}
	}
	return support
}

func adapterOf(rel string) string {
	for r, name := range adapters {
		if rel == r || strings.HasPrefix(rel, r+"/") {
			return name
		}
	}
	return ""
}

func isSDK(path string) bool {
	for _, p := range sdkPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// loadGraph runs `go list -deps -json` over the whole module.
func loadGraph(t *testing.T) (*graph, string) {
	t.Helper()
	mod := strings.Fields(goCmd(t, "list", "-m", "-f", "{{.Path}} {{.Dir}}"))
	if len(mod) != 2 {
		t.Fatalf("go list -m: unexpected output %q", mod)
	}
	out := goCmd(t, "list", "-e", "-deps", "-json=ImportPath,Standard,Imports,Deps,Module,Error", mod[0]+"/...")
	g := &graph{module: mod[0], pkgs: map[string]*goPackage{}}
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		g.pkgs[p.ImportPath] = &p
	}
	return g, mod[1]
}

func goCmd(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// check applies every import rule and returns the violations, sorted.
func (g *graph) check() []string {
	var out []string
	for path, p := range g.pkgs {
		rel, ok := g.rel(path)
		if !ok {
			continue
		}
		if p.Error != nil {
			out = append(out, fmt.Sprintf("%s: go list: %s", rel, p.Error.Err))
		}
		out = append(out, g.checkImports(rel, p)...)
		out = append(out, g.checkDeps(rel, p)...)
	}
	sort.Strings(out)
	return out
}

// checkImports checks each direct import of a module package against
// mayImport, the one-adapter rule and the stand-in rule.
func (g *graph) checkImports(rel string, p *goPackage) []string {
	from := classify(rel)
	var out []string
	for _, imp := range p.Imports {
		irel, ok := g.rel(imp)
		if !ok {
			continue
		}
		to := classify(irel)
		switch {
		case from == devenvL || from == otherL:
			// no layer rule; stand-ins: see checkDeps
		case to == devenvL:
			out = append(out, fmt.Sprintf("%s imports %s: nothing under handler/ links the local stand-ins", rel, irel))
		case !slices.Contains(mayImport[from], to):
			out = append(out, fmt.Sprintf("%s (%s) imports %s (%s): not allowed by docs/architecture.md", rel, from, irel, to))
		case from == adapter && to == adapter && adapterOf(rel) != adapterOf(irel):
			out = append(out, fmt.Sprintf("%s (adapter %s) imports %s (adapter %s): an adapter never imports another adapter", rel, adapterOf(rel), irel, adapterOf(irel)))
		}
	}
	return out
}

// checkDeps checks the transitive dependencies: no Azure SDK below the
// layers in noSDK, and no "testing" in the binary's packages.
func (g *graph) checkDeps(rel string, p *goPackage) []string {
	from := classify(rel)
	var out []string
	if slices.Contains(noSDK, from) {
		for _, d := range g.sdkEntries(p) {
			out = append(out, fmt.Sprintf("%s (%s) depends on the SDK package %s (%s): only adapters and the composition root use an SDK", rel, from, d, g.via(p.ImportPath, d)))
		}
	}
	if slices.ContainsFunc(standIns, func(s string) bool { return rel == s || strings.HasPrefix(rel, s+"/") }) {
		for _, d := range p.Deps {
			if drel, ok := g.rel(d); ok && classify(drel) != devenvL && classify(drel) != otherL && standInMayUse[drel] == "" {
				out = append(out, fmt.Sprintf("%s depends on %s (%s): a stand-in follows Microsoft's documentation and shares no code with what it checks", rel, drel, g.via(p.ImportPath, d)))
			}
		}
	}
	if from == root && slices.Contains(p.Deps, "testing") {
		out = append(out, fmt.Sprintf("%s (the binary) links package testing (%s): a test helper leaked into production code", rel, g.via(p.ImportPath, "testing")))
	}
	return out
}

// sdkEntries returns the SDK packages p depends on that a package outside
// the SDKs imports: where the dependency enters, not everything it drags in.
func (g *graph) sdkEntries(p *goPackage) []string {
	var out []string
	for _, d := range append([]string{p.ImportPath}, p.Deps...) {
		dp := g.pkgs[d]
		if dp == nil || isSDK(d) {
			continue
		}
		for _, imp := range dp.Imports {
			if isSDK(imp) && !slices.Contains(out, imp) {
				out = append(out, imp)
			}
		}
	}
	return out
}

// via returns one import chain from a to b, for the message.
func (g *graph) via(a, b string) string {
	prev := map[string]string{a: ""}
	queue := []string{a}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == b {
			chain := []string{}
			for n := b; n != ""; n = prev[n] {
				name := n
				if r, ok := g.rel(n); ok {
					name = r
				}
				chain = append([]string{name}, chain...)
			}
			return strings.Join(chain, " → ")
		}
		if p := g.pkgs[cur]; p != nil {
			for _, imp := range p.Imports {
				if _, seen := prev[imp]; !seen {
					prev[imp] = cur
					queue = append(queue, imp)
				}
			}
		}
	}
	return a + " → … → " + b
}

// TestImportRules enforces docs/architecture.md's import rules on the
// module as it is: non-test code only (tests may use the stand-ins and
// the adapters freely).
func TestImportRules(t *testing.T) {
	g, _ := loadGraph(t)
	seen := map[layer]int{}
	for path := range g.pkgs {
		if rel, ok := g.rel(path); ok {
			seen[classify(rel)]++
		}
	}
	// A rule over an empty layer proves nothing: the table must still name
	// real packages (a rename that empties a layer must update it).
	for _, l := range []layer{root, domainL, job, adapter, hostL, functionsL, configL, devenvL} {
		if seen[l] == 0 {
			t.Errorf("no package of the module is in layer %q: update classify after a rename", l)
		}
	}
	for _, v := range g.check() {
		t.Error(v)
	}
}

// TestRulesCatchViolations proves each rule fires, on a made-up module.
func TestRulesCatchViolations(t *testing.T) {
	const m = "example.com/m"
	pkgs := map[string][]string{ // import path (relative) → imports
		"handler":                     {m + "/handler/app", m + "/handler/porttest"},
		"handler/app":                 {m + "/handler/blob", m + "/handler/graph/rest", m + "/devenv/devtest"},
		"handler/domain":              {m + "/handler/rules"},
		"handler/blob":                {m + "/handler/domain", m + "/handler/servicebus", "github.com/Azure/azure-sdk-for-go/sdk/azcore"},
		"handler/servicebus":          {m + "/handler/domain"},
		"handler/graph/rest":          {m + "/handler/graph/claimsdoc"},
		"handler/graph/claimsdoc":     {m + "/handler/domain"},
		"handler/rules":               {m + "/handler/domain"},
		"handler/audit":               {m + "/handler/rules", m + "/handler/lease"},
		"handler/lease":               {"github.com/Azure/azure-sdk-for-go/sdk/azcore"},
		"handler/funchost":            {m + "/handler/audit"},
		"handler/porttest":            {"testing"},
		"devenv/graphsim":             {m + "/handler/graph/claimsdoc", m + "/handler/domain", m + "/handler/fedmeta/fedmetatest"},
		"handler/fedmeta/fedmetatest": {m + "/handler/fedmeta"},
		"handler/fedmeta":             {m + "/handler/domain"},
		"devenv/devtest":              {m + "/handler/servicebus"},
	}
	g := &graph{module: m, pkgs: map[string]*goPackage{}}
	for rel, imps := range pkgs {
		g.pkgs[m+"/"+rel] = &goPackage{ImportPath: m + "/" + rel, Imports: imps}
	}
	g.pkgs["testing"] = &goPackage{ImportPath: "testing", Standard: true}
	g.pkgs["github.com/Azure/azure-sdk-for-go/sdk/azcore"] = &goPackage{ImportPath: "github.com/Azure/azure-sdk-for-go/sdk/azcore"}
	for _, p := range g.pkgs { // Deps: the transitive closure of Imports
		p.Deps = g.closure(p.ImportPath)
	}
	got := strings.Join(g.check(), "\n")
	for _, want := range []string{
		"handler/domain (domain) imports handler/rules (job)",
		"handler/blob (adapter blob) imports handler/servicebus (adapter servicebus)",
		"handler/app imports devenv/devtest: nothing under handler/ links the local stand-ins",
		"handler/funchost (host contract) imports handler/audit (job)",
		"handler (composition root) imports handler/porttest (test support)",
		"handler/audit (job) depends on the SDK package github.com/Azure/azure-sdk-for-go/sdk/azcore (handler/audit → handler/lease → github.com/Azure/azure-sdk-for-go/sdk/azcore)",
		"handler/funchost (host contract) depends on the SDK package",
		"handler (the binary) links package testing (handler → handler/porttest → testing)",
		"devenv/graphsim depends on handler/graph/claimsdoc (devenv/graphsim → handler/graph/claimsdoc): a stand-in",
		"devenv/graphsim depends on handler/fedmeta (devenv/graphsim → handler/fedmeta/fedmetatest → handler/fedmeta)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no violation %q in:\n%s", want, got)
		}
	}
	for _, fine := range []string{
		"handler/graph/rest (adapter", // graph packages are one adapter
		"handler/app (composition root) imports handler/blob",
		"devenv/devtest imports", // test plumbing, not a stand-in
		"devenv/graphsim depends on handler/domain",
		"devenv/graphsim depends on handler/fedmeta/fedmetatest",
	} {
		if strings.Contains(got, fine) {
			t.Errorf("violation %q reported for an allowed import:\n%s", fine, got)
		}
	}
}

func (g *graph) closure(from string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range g.pkgs[p].Imports {
			if !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(from)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// outsideCitations are the ways a comment can point at material that is
// not in the repository: the design notes and the design and style
// documents of the project's working folder, and paths of the machine the
// code was written on.
var outsideCitations = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`(?i)\bnotes\s*(/|§|\()`), "the design notes"},
	{regexp.MustCompile(`(graph-api|graph-shapes|functions-host-contract|servicebus-wire|documented-behaviour)\.md`), "a design note"},
	{regexp.MustCompile(`\bDESIGN\b`), "DESIGN.md"},
	{regexp.MustCompile(`\bSTYLE\.md`), "STYLE.md"},
	{regexp.MustCompile(`/work/|\bshared/`), "a folder outside the repository"},
	{regexp.MustCompile(`\bseed/`), "the seed documents"},
}

// TestCommentsCiteOnlyTheRepository: a comment that explains a choice by
// pointing at a note the reader does not have loses the reasoning. Cite
// docs/architecture.md (or another file of docs/) or a Microsoft Learn page.
func TestCommentsCiteOnlyTheRepository(t *testing.T) {
	_, dir := loadGraph(t)
	for _, v := range commentCitations(t, dir, "handler", "devenv") {
		t.Error(v)
	}
}

func commentCitations(t *testing.T, dir string, trees ...string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, tree := range trees {
		err := filepath.WalkDir(filepath.Join(dir, tree), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if name == "node_modules" || name == "testdata" || (path != filepath.Join(dir, tree) && (name[0] == '.' || name[0] == '_')) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(name, ".go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			for _, cg := range f.Comments {
				for _, c := range cg.List {
					line := fset.Position(c.Slash).Line
					for i, text := range strings.Split(c.Text, "\n") {
						for _, oc := range outsideCitations {
							if oc.re.MatchString(text) {
								out = append(out, fmt.Sprintf("%s:%d: cites %s, which is not in the repository: cite docs/architecture.md or a Microsoft Learn page\n\t%s",
									filepath.ToSlash(rel), line+i, oc.what, strings.TrimSpace(text)))
								break
							}
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walking %s: %v", tree, err)
		}
	}
	return out
}

// TestCommentRuleCatchesCitations proves the patterns match what they must
// and leave ordinary words alone.
func TestCommentRuleCatchesCitations(t *testing.T) {
	cite := func(s string) bool {
		return slices.ContainsFunc(outsideCitations, func(oc struct {
			re   *regexp.Regexp
			what string
		}) bool {
			return oc.re.MatchString(s)
		})
	}
	// The examples are assembled from parts so this file does not itself
	// match the repository's own search for such citations.
	for _, s := range []string{
		"(notes/" + "graph-api.md; BenchmarkScan measures it)",
		"the repository's notes (functions-host-contract.md): readiness",
		"as notes §10 describes it",
		"Target (DESIGN.md): the delta costs ≤ 3 %",
		"follow /work/shared" + "/notes" + "/graph-shapes.md",
		"see shared/DESIGN.md",
	} {
		if !cite(s) {
			t.Errorf("%q is not caught", s)
		}
	}
	for _, s := range []string{
		"rep.Notes = append(rep.Notes, …)",
		"the design targets: pager/plain ≤ 1.2",
		"see docs/architecture.md (Functions host contract)",
		"a shared lazily built value",
	} {
		if cite(s) {
			t.Errorf("%q is caught but cites nothing outside", s)
		}
	}
}

// TestDocumentedTable: the table in docs/architecture.md ("What may import
// what") says what mayImport and noSDK enforce, cell by cell.
func TestDocumentedTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]layer{
		"domain": domainL, "jobs": job, "adapters": adapter, "host contract": hostL, "functions": functionsL,
		"config": configL, "support": support, "composition root": root, "test support": testSupport,
		"devenv/": devenvL, "Azure SDKs": "sdk",
	}
	_, section, _ := strings.Cut(string(raw), "\n## What may import what\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var cols []layer
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "*")
		}
		if cols == nil {
			for _, c := range cells[1:] {
				l, ok := names[c]
				if !ok {
					t.Fatalf("docs/architecture.md: unknown column %q in the import table", c)
				}
				cols = append(cols, l)
			}
			continue
		}
		from, ok := names[cells[0]]
		if !ok {
			continue // the stand-ins' row: checked by checkImports
		}
		rows++
		for i, cell := range cells[1:] {
			to := cols[i]
			if cell == "–" {
				continue
			}
			documented := cell != "no"
			var enforced bool
			switch to {
			case "sdk":
				enforced = !slices.Contains(noSDK, from)
			case devenvL:
				enforced = false
			default:
				enforced = slices.Contains(mayImport[from], to)
			}
			if documented != enforced {
				t.Errorf("docs/architecture.md says %s → %s is %q; archtest enforces allowed=%v", from, to, cell, enforced)
			}
		}
	}
	if rows != len(mayImport) {
		t.Errorf("docs/architecture.md's import table has %d layer rows; mayImport has %d layers", rows, len(mayImport))
	}
}
