package main

// The import rules of ARCHITECTURE.md, checked on what `go list` reports
// each package of the module depends on (directly or not; tests excluded).

import (
	"cmp"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/pdbridge/terraform-provider-pdbridge"

// within reports whether pkg is dir or a package below it.
func within(pkg, dir string) bool {
	return pkg == dir || strings.HasPrefix(pkg, dir+"/")
}

func short(pkg string) string {
	if pkg == module {
		return "main.go's package"
	}
	return strings.TrimPrefix(pkg, module+"/")
}

func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		deps[fields[0]] = fields[1:]
	}

	isTerraform := func(dep string) bool { return strings.HasPrefix(dep, "github.com/hashicorp/terraform-") }
	// What talks to a real system: the PagerDuty and source clients and
	// the HTTP transport they share.
	isClient := func(dep string) bool {
		return dep == "github.com/PagerDuty/go-pagerduty" || dep == "github.com/hashicorp/go-retryablehttp" ||
			within(dep, module+"/internal/pagerduty") || within(dep, module+"/internal/httpretry") ||
			within(dep, module+"/internal/source")
	}
	isSandbox := func(dep string) bool { return within(dep, module+"/internal/sandbox") }

	rules := []struct {
		name    string
		applies func(pkg string) bool
		refuses func(dep string) bool
	}{
		{
			"only internal/provider, main and tools/ use Terraform's libraries",
			func(pkg string) bool {
				return pkg != module && !within(pkg, module+"/internal/provider") && !within(pkg, module+"/tools")
			},
			isTerraform,
		},
		{"the sandboxes share no code with the clients they stand in for", isSandbox, isClient},
		{
			"the provider does not ship the sandboxes",
			func(pkg string) bool { return pkg == module || within(pkg, module+"/internal/provider") },
			isSandbox,
		},
	}
	for _, r := range rules {
		checked := 0
		for _, pkg := range slices.Sorted(maps.Keys(deps)) {
			if !r.applies(pkg) {
				continue
			}
			list := deps[pkg]
			checked++
			var bad []string
			for _, dep := range list {
				if r.refuses(dep) {
					bad = append(bad, dep)
				}
			}
			if len(bad) > 0 {
				// The shortest path is usually the package imported on purpose.
				slices.SortFunc(bad, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) })
				t.Errorf("%s: %s depends on %s (%d refused packages in all)", r.name, short(pkg), short(bad[0]), len(bad))
			}
		}
		if checked == 0 {
			t.Errorf("%s: the rule applies to no package", r.name)
		}
	}

	// The predicates must recognise what they are about, or the rules
	// above would pass on anything.
	for _, want := range []struct {
		pkg  string
		dep  func(string) bool
		what string
	}{
		{module + "/internal/provider", isTerraform, "the plugin framework"},
		{module + "/internal/routing", isClient, "the PagerDuty client"},
		{module + "/internal/sandbox/cmd/pdbridge-sandbox", isSandbox, "the sandboxes"},
	} {
		found := false
		for _, dep := range deps[want.pkg] {
			found = found || want.dep(dep)
		}
		if !found {
			t.Errorf("%s should depend on %s: is the rule's pattern stale?", want.pkg, want.what)
		}
	}
}
