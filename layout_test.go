package cogpass_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "cogpass"

// imports maps each cogpass package (by import path) to the cogpass
// packages its non-test files import, and to the AWS SDK packages it
// imports (github.com/aws/...). Test files are left out: a test may reach
// further than the code it tests (an emulator test drives the job).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	graph := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := module
		if dir := filepath.ToSlash(filepath.Dir(path)); dir != "." {
			pkg += "/" + dir
		}
		if _, ok := graph[pkg]; !ok {
			graph[pkg] = nil
		}
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			ours := p == module || strings.HasPrefix(p, module+"/")
			if (ours || strings.HasPrefix(p, "github.com/aws/")) && !slices.Contains(graph[pkg], p) {
				graph[pkg] = append(graph[pkg], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return graph
}

// deps is every cogpass package pkg depends on, directly or not, as
// `go list -deps` would list them (pkg itself left out).
func deps(graph map[string][]string, pkg string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, d := range graph[p] {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(pkg)
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// TestLayout keeps the package graph of docs/architecture.md true. Each
// rule can be checked by hand with
//
//	go list -deps ./input | grep '^cogpass'
func TestLayout(t *testing.T) {
	graph := imports(t)
	for _, pkg := range []string{"cogpass/job", "cogpass/cognito", "cogpass/cognito/quota", "cogpass/cognito/policy", "cogpass/pacing", "cogpass/input", "cogpass/report", "cogpass/export", "cogpass/emulator", "cogpass/cmd/cogpass"} {
		if _, ok := graph[pkg]; !ok {
			t.Errorf("package %s is missing: update this test and docs/architecture.md together", pkg)
		}
	}
	rules := []struct {
		pkgs   []string
		forbid func(dep string) bool
		why    string
	}{
		{
			pkgs:   []string{"cogpass/input", "cogpass/report", "cogpass/export", "cogpass/emulator", "cogpass/cognito", "cogpass/pacing"},
			forbid: func(d string) bool { return d == "cogpass/job" || strings.HasPrefix(d, "cogpass/job/") },
			why:    "the job is built on them, not the other way round",
		},
		{
			pkgs:   []string{"cogpass/cognito/quota", "cogpass/cognito/policy", "cogpass/pacing"},
			forbid: func(d string) bool { return strings.HasPrefix(d, module+"/") },
			why:    "leaves import nothing of cogpass",
		},
		{
			pkgs: []string{"cogpass/input"},
			forbid: func(d string) bool {
				return d == "cogpass/cognito" || d == "cogpass/pacing" || d == "cogpass/export" || strings.HasPrefix(d, "github.com/aws/")
			},
			why: "input reads manifests only; the paced listing is export's",
		},
	}
	for _, r := range rules {
		for _, pkg := range r.pkgs {
			if _, ok := graph[pkg]; !ok {
				continue
			}
			for _, d := range deps(graph, pkg) {
				if r.forbid(d) {
					t.Errorf("%s depends on %s: %s", pkg, d, r.why)
				}
			}
		}
	}
	for pkg, direct := range graph {
		for _, d := range direct {
			if d == "cogpass/cmd" || strings.HasPrefix(d, "cogpass/cmd/") {
				t.Errorf("%s imports %s: nothing imports cmd", pkg, d)
			}
		}
	}
}

// TestLayoutSeesImports makes sure the walk reads this tree: a graph with
// no edges would pass every rule above.
func TestLayoutSeesImports(t *testing.T) {
	graph := imports(t)
	if !slices.Contains(graph["cogpass/cmd/cogpass"], "cogpass/job") {
		t.Fatalf("cmd/cogpass imports no cogpass/job in the graph read: %v", graph["cogpass/cmd/cogpass"])
	}
	if _, err := os.Stat("go.mod"); err != nil {
		t.Fatal(err)
	}
}
