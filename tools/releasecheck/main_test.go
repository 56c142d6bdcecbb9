package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	project = "terraform-provider-pdbridge"
	version = "1.2.3"
)

var (
	repoConfig   = filepath.Join("..", "..", ".goreleaser.yml")
	repoManifest = filepath.Join("..", "..", "terraform-registry-manifest.json")
)

// fakeDist writes what goreleaser's snapshot of the repository's
// configuration would leave in dist/, with change applied to each file name
// and content first (it returns false to leave a file out).
func fakeDist(t *testing.T, change func(name string, content []byte) (string, []byte, bool)) string {
	t.Helper()
	dist := t.TempDir()
	cfg, err := readConfig(repoConfig)
	if err != nil {
		t.Fatal(err)
	}
	meta := metadata{ProjectName: project, Version: version}
	platforms := targets(cfg, meta, func(f string, a ...any) { t.Fatalf(f, a...) })
	var sums strings.Builder
	write := func(name string, content []byte) {
		name, content, keep := change(name, content)
		if !keep {
			return
		}
		if err := os.WriteFile(filepath.Join(dist, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".zip") {
			h := sha256.Sum256(content)
			fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(h[:]), name)
		}
	}
	for _, p := range platforms {
		binary := project + "_v" + version
		if strings.HasPrefix(p, "windows_") {
			binary += ".exe"
		}
		write(project+"_"+version+"_"+p+".zip", zipOf(t, map[string]string{binary: "\x7fELF binary", "README.md": "readme"}, 0o755))
	}
	manifest, err := os.ReadFile(repoManifest)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(manifest)
	fmt.Fprintf(&sums, "%s  %s_%s_manifest.json\n", hex.EncodeToString(h[:]), project, version)
	write(project+"_"+version+"_SHA256SUMS", []byte(sums.String()))
	write("metadata.json", fmt.Appendf(nil, `{"project_name":%q,"tag":"v0.0.0","version":%q}`, project, version))
	return dist
}

// zipOf makes a zip of files; the provider binary gets binaryMode.
func zipOf(t *testing.T, files map[string]string, binaryMode os.FileMode) []byte {
	t.Helper()
	var buf strings.Builder
	w := zip.NewWriter(&buf)
	for name, content := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasPrefix(name, project) {
			h.SetMode(binaryMode)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(buf.String())
}

func unchanged(name string, content []byte) (string, []byte, bool) { return name, content, true }

func TestTheRepositoryConfigPasses(t *testing.T) {
	summary, problems := check(fakeDist(t, unchanged), repoConfig, repoManifest)
	if len(problems) != 0 {
		t.Fatalf("problems with a complete dist: %v", problems)
	}
	for _, want := range []string{"13 zips", "darwin_arm64", "linux_amd64", "windows_amd64", project + "_" + version + "_SHA256SUMS.sig declared"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary %q lacks %q", summary, want)
		}
	}
}

func TestWhatTheRegistryWouldRefuse(t *testing.T) {
	prefix := project + "_" + version
	for name, tc := range map[string]struct {
		change func(name string, content []byte) (string, []byte, bool)
		want   string
	}{
		"a zip missing": {func(n string, c []byte) (string, []byte, bool) {
			return n, c, n != prefix+"_linux_arm64.zip"
		}, prefix + "_linux_arm64.zip: open"},
		"a zip misnamed": {func(n string, c []byte) (string, []byte, bool) {
			return strings.Replace(n, "_darwin_amd64", "_macos_amd64", 1), c, true
		}, prefix + "_macos_amd64.zip: a zip the registry would not expect"},
		"the binary misnamed": {func(n string, c []byte) (string, []byte, bool) {
			if n == prefix+"_freebsd_386.zip" {
				c = zipOf(t, map[string]string{project: "binary"}, 0o755)
			}
			return n, c, true
		}, prefix + "_freebsd_386.zip holds no " + project + "_v" + version},
		"the binary not executable": {func(n string, c []byte) (string, []byte, bool) {
			if n == prefix+"_linux_amd64.zip" {
				c = zipOf(t, map[string]string{project + "_v" + version: "binary"}, 0o644)
			}
			return n, c, true
		}, prefix + "_linux_amd64.zip: " + project + "_v" + version + " is not executable"},
		"a zip not listed": {func(n string, c []byte) (string, []byte, bool) {
			if n == prefix+"_SHA256SUMS" {
				c = []byte(strings.Replace(string(c), "windows_amd64", "windows_amd64.zip.bak", 1))
			}
			return n, c, true
		}, prefix + "_SHA256SUMS does not list " + prefix + "_windows_amd64.zip"},
		"a checksum wrong": {func(n string, c []byte) (string, []byte, bool) {
			if n == prefix+"_SHA256SUMS" {
				lines := strings.SplitAfter(string(c), "\n")
				lines[0] = strings.Repeat("0", 64) + lines[0][64:]
				c = []byte(strings.Join(lines, ""))
			}
			return n, c, true
		}, "with " + strings.Repeat("0", 64) + ", the file has"},
		"the manifest not listed": {func(n string, c []byte) (string, []byte, bool) {
			if n == prefix+"_SHA256SUMS" {
				c = []byte(strings.Replace(string(c), "_manifest.json", "_manifest.txt", 1))
			}
			return n, c, true
		}, "does not list " + prefix + "_manifest.json"},
		"no checksums": {func(n string, c []byte) (string, []byte, bool) {
			return n, c, n != prefix+"_SHA256SUMS"
		}, prefix + "_SHA256SUMS: no such file"},
		"a signature in a dry run": {func(n string, c []byte) (string, []byte, bool) {
			if n == prefix+"_SHA256SUMS" {
				return n + ".sig", c, true
			}
			return n, c, true
		}, "a dry run must not sign"},
	} {
		t.Run(name, func(t *testing.T) {
			_, problems := check(fakeDist(t, tc.change), repoConfig, repoManifest)
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("problems %q; want one containing %q", problems, tc.want)
			}
		})
	}
}

func TestConfigProblems(t *testing.T) {
	base, err := os.ReadFile(repoConfig)
	if err != nil {
		t.Fatal(err)
	}
	dist := fakeDist(t, unchanged)
	for name, tc := range map[string]struct{ from, to, want string }{
		"no signing": {"signs:", "unused_signs:", "nothing signs the checksum file"},
		"an armoured signature": {`- "--detach-sign"`, `- "--detach-sign"
      - "--armor"`, "binary signature"},
		"the manifest not uploaded": {"  extra_files:\n    - glob: terraform-registry-manifest.json\n      name_template: \"{{ .ProjectName }}_{{ .Version }}_manifest.json\"\nchangelog:", "changelog:", "release.extra_files does not include terraform-registry-manifest.json"},
		"the manifest misnamed":     {`_manifest.json"`, `_registry.json"`, "the registry wants \"" + project + "_" + version + "_manifest.json\""},
		"no darwin":                 {"goos: [freebsd, windows, linux, darwin]", "goos: [freebsd, windows, linux]", "no darwin_arm64 build"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(base), tc.from) {
				t.Fatalf("the configuration has no %q to change", tc.from)
			}
			cfg := filepath.Join(t.TempDir(), "goreleaser.yml")
			if err := os.WriteFile(cfg, []byte(strings.Replace(string(base), tc.from, tc.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, problems := check(dist, cfg, repoManifest)
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("problems %q; want one containing %q", problems, tc.want)
			}
		})
	}
}

func TestManifestMustSayProtocol6(t *testing.T) {
	m := filepath.Join(t.TempDir(), "terraform-registry-manifest.json")
	if err := os.WriteFile(m, []byte(`{"version": 1, "metadata": {"protocol_versions": ["5.0"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, problems := check(fakeDist(t, unchanged), repoConfig, m)
	joined := strings.Join(problems, "\n")
	if !strings.Contains(joined, "protocol 6") || !strings.Contains(joined, "_manifest.json with") {
		t.Errorf("problems %q; want the protocol and the checksum of the changed manifest", problems)
	}
}
