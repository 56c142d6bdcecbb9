// Command releasecheck checks a goreleaser dist/ folder against what the
// Terraform registry needs of a provider release
// (https://developer.hashicorp.com/terraform/registry/providers/publishing):
//
//   - per OS/arch the build targets, a zip named
//     <project>_<version>_<os>_<arch>.zip holding the binary
//     <project>_v<version> (.exe on Windows);
//   - <project>_<version>_SHA256SUMS listing every zip and the manifest, and
//     nothing else, with their right hashes;
//   - <project>_<version>_manifest.json, the repository's
//     terraform-registry-manifest.json uploaded under that name;
//   - <project>_<version>_SHA256SUMS.sig, a binary detached GPG signature of
//     the SHA256SUMS. A dry run skips signing, so here the configuration is
//     checked to declare it.
//
// The version and project name come from goreleaser's dist/metadata.json;
// the targets from .goreleaser.yml. It reports every problem, not the first.
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// required are the platforms a provider without them would strand most users on.
var required = []string{"darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64", "windows_amd64"}

type config struct {
	Builds []struct {
		Goos   []string `yaml:"goos"`
		Goarch []string `yaml:"goarch"`
		Ignore []target `yaml:"ignore"`
		Binary string   `yaml:"binary"`
	} `yaml:"builds"`
	Checksum struct {
		NameTemplate string      `yaml:"name_template"`
		ExtraFiles   []extraFile `yaml:"extra_files"`
	} `yaml:"checksum"`
	Signs []struct {
		Cmd       string   `yaml:"cmd"`
		Artifacts string   `yaml:"artifacts"`
		Signature string   `yaml:"signature"`
		Args      []string `yaml:"args"`
	} `yaml:"signs"`
	Release struct {
		ExtraFiles []extraFile `yaml:"extra_files"`
	} `yaml:"release"`
}

type target struct {
	Goos   string `yaml:"goos"`
	Goarch string `yaml:"goarch"`
}

type extraFile struct {
	Glob         string `yaml:"glob"`
	NameTemplate string `yaml:"name_template"`
}

type metadata struct {
	ProjectName string `json:"project_name"`
	Version     string `json:"version"`
}

func main() {
	dist := flag.String("dist", "dist", "goreleaser's output folder")
	cfgPath := flag.String("config", ".goreleaser.yml", "goreleaser's configuration")
	manifest := flag.String("manifest", "terraform-registry-manifest.json", "the registry manifest")
	flag.Parse()
	summary, problems := check(*dist, *cfgPath, *manifest)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "release-check:", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "release-check: %d problem(s)\n", len(problems))
		os.Exit(1)
	}
	fmt.Println(summary)
}

// check returns a one-line summary and every problem it finds.
func check(dist, cfgPath, manifestPath string) (string, []string) {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	cfg, err := readConfig(cfgPath)
	if err != nil {
		return "", []string{err.Error()}
	}
	var meta metadata
	if data, err := os.ReadFile(filepath.Join(dist, "metadata.json")); err != nil {
		return "", []string{fmt.Sprintf("%v (did goreleaser run?)", err)}
	} else if err := json.Unmarshal(data, &meta); err != nil || meta.ProjectName == "" || meta.Version == "" {
		return "", []string{fmt.Sprintf("%s/metadata.json names no project and version (%v)", dist, err)}
	}
	manifest, err := os.ReadFile(manifestPath)
	if err != nil {
		return "", []string{err.Error()}
	}
	checkManifestContent(manifest, manifestPath, fail)
	prefix := meta.ProjectName + "_" + meta.Version

	// The zips, one per target.
	platforms := targets(cfg, meta, fail)
	for _, p := range required {
		if !slices.Contains(platforms, p) {
			fail("no %s build in %s: the registry's users need it", p, cfgPath)
		}
	}
	want := map[string]bool{}
	for _, p := range platforms {
		name := prefix + "_" + p + ".zip"
		want[name] = true
		binary := meta.ProjectName + "_v" + meta.Version
		if strings.HasPrefix(p, "windows_") {
			binary += ".exe"
		}
		checkZip(filepath.Join(dist, name), binary, fail)
	}
	zips, _ := filepath.Glob(filepath.Join(dist, "*.zip"))
	for _, z := range zips {
		if !want[filepath.Base(z)] {
			fail("%s: a zip the registry would not expect (wanted %s_<os>_<arch>.zip)", filepath.Base(z), prefix)
		}
	}

	// The checksums: every zip and the manifest, nothing else.
	sumsName := prefix + "_SHA256SUMS"
	if got := expand(cfg.Checksum.NameTemplate, meta); got != sumsName {
		fail("checksum.name_template gives %q, the registry wants %q", got, sumsName)
	}
	manifestName := prefix + "_manifest.json"
	sums := readSums(filepath.Join(dist, sumsName), fail)
	for name := range want {
		if _, ok := sums[name]; !ok {
			fail("%s does not list %s", sumsName, name)
		} else if got := fileSum(filepath.Join(dist, name)); got != "" && got != sums[name] {
			fail("%s lists %s with %s, the file has %s", sumsName, name, sums[name], got)
		}
	}
	if got, ok := sums[manifestName]; !ok {
		fail("%s does not list %s", sumsName, manifestName)
	} else if h := sha256.Sum256(manifest); got != hex.EncodeToString(h[:]) {
		fail("%s lists %s with %s, but %s has %s", sumsName, manifestName, got, manifestPath, hex.EncodeToString(h[:]))
	}
	for name := range sums {
		if !want[name] && name != manifestName {
			fail("%s lists %s, which is not a zip or the manifest", sumsName, name)
		}
	}

	// The manifest: checksummed and uploaded under the same name.
	checkExtra(cfg.Checksum.ExtraFiles, "checksum.extra_files", manifestPath, manifestName, meta, fail)
	checkExtra(cfg.Release.ExtraFiles, "release.extra_files", manifestPath, manifestName, meta, fail)
	if data, err := os.ReadFile(filepath.Join(dist, manifestName)); err == nil && !bytes.Equal(data, manifest) {
		fail("%s/%s differs from %s", dist, manifestName, manifestPath)
	}

	// The signature, declared (a dry run does not sign).
	checkSigning(cfg, sumsName, fail)
	if _, err := os.Stat(filepath.Join(dist, sumsName+".sig")); err == nil {
		fail("%s.sig exists: a dry run must not sign", sumsName)
	}

	return fmt.Sprintf("release-check: %s: %d zips (%s), %s, %s; %s.sig declared",
		meta.Version, len(platforms), strings.Join(platforms, " "), sumsName, manifestName, sumsName), problems
}

func readConfig(path string) (config, error) {
	var cfg config
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// targets lists the build's os_arch pairs, without the ignored ones and
// without those Go cannot build (such as darwin/arm), which goreleaser
// leaves out on its own.
func targets(cfg config, meta metadata, fail func(string, ...any)) []string {
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		fail("go tool dist list: %v", err)
		return nil
	}
	goSupports := map[string]bool{}
	for _, line := range strings.Fields(string(out)) {
		goSupports[strings.Replace(line, "/", "_", 1)] = true
	}
	return configuredTargets(cfg, meta, goSupports, fail)
}

func configuredTargets(cfg config, meta metadata, goSupports map[string]bool, fail func(string, ...any)) []string {
	if len(cfg.Builds) != 1 {
		fail("the configuration has %d builds; the registry's layout needs exactly one", len(cfg.Builds))
		return nil
	}
	b := cfg.Builds[0]
	if got, want := expand(b.Binary, meta), meta.ProjectName+"_v"+meta.Version; got != want {
		fail("builds[0].binary gives %q, the registry wants %q", got, want)
	}
	var out []string
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			if goSupports[goos+"_"+goarch] && !slices.Contains(b.Ignore, target{goos, goarch}) {
				out = append(out, goos+"_"+goarch)
			}
		}
	}
	slices.Sort(out)
	return out
}

func checkZip(path, binary string, fail func(string, ...any)) {
	r, err := zip.OpenReader(path)
	if err != nil {
		fail("%s: %v", filepath.Base(path), err)
		return
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
		if f.Name == binary {
			if !f.Mode().IsRegular() || f.UncompressedSize64 == 0 {
				fail("%s: %s is not a non-empty file", filepath.Base(path), binary)
			}
			// Terraform runs the plugin as unpacked: outside Windows it must be executable.
			if !strings.HasSuffix(binary, ".exe") && f.Mode().Perm()&0o111 == 0 {
				fail("%s: %s is not executable (%v)", filepath.Base(path), binary, f.Mode())
			}
			return
		}
	}
	fail("%s holds no %s at its top (it holds %s)", filepath.Base(path), binary, strings.Join(names, ", "))
}

func readSums(path string, fail func(string, ...any)) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		fail("%v", err)
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sha256sum's format: the hash, two spaces, the name.
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || name == "" {
			fail("%s: not a sha256sum line: %q", filepath.Base(path), sc.Text())
			continue
		}
		out[name] = sum
	}
	return out
}

func fileSum(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "" // reported by checkZip
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func checkManifestContent(data []byte, path string, fail func(string, ...any)) {
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		fail("%s: %v", path, err)
		return
	}
	// main.go serves protocol 6 (providerserver.Serve).
	if m.Version != 1 || !slices.Equal(m.Metadata.ProtocolVersions, []string{"6.0"}) {
		fail(`%s: version %d, protocol_versions %v; the provider speaks protocol 6: want version 1 and ["6.0"]`, path, m.Version, m.Metadata.ProtocolVersions)
	}
}

func checkExtra(files []extraFile, where, manifestPath, manifestName string, meta metadata, fail func(string, ...any)) {
	for _, f := range files {
		if f.Glob == filepath.Base(manifestPath) {
			if got := expand(f.NameTemplate, meta); got != manifestName {
				fail("%s names %s %q, the registry wants %q", where, f.Glob, got, manifestName)
			}
			return
		}
	}
	fail("%s does not include %s", where, filepath.Base(manifestPath))
}

func checkSigning(cfg config, sumsName string, fail func(string, ...any)) {
	for _, s := range cfg.Signs {
		if s.Artifacts != "checksum" && s.Artifacts != "all" {
			continue
		}
		if s.Cmd != "" && s.Cmd != "gpg" {
			fail("signs: the checksum is signed with %q; the registry verifies GPG signatures", s.Cmd)
		}
		// goreleaser's default signature name is ${artifact}.sig.
		if s.Signature != "" && s.Signature != "${artifact}.sig" {
			fail("signs: signature %q; the registry wants %s.sig", s.Signature, sumsName)
		}
		args := " " + strings.Join(s.Args, " ") + " "
		if !strings.Contains(args, " --detach-sign ") && !strings.Contains(args, " --detach-sig ") {
			fail("signs: args %v make no detached signature (--detach-sign)", s.Args)
		}
		for _, armour := range []string{" --armor ", " --armour ", " -a ", " --clearsign "} {
			if strings.Contains(args, armour) {
				fail("signs: args %v ask for %s; the registry wants a binary signature", s.Args, strings.TrimSpace(armour))
			}
		}
		return
	}
	fail("signs: nothing signs the checksum file; the registry needs %s.sig", sumsName)
}

// expand fills the two template fields the registry's names use.
func expand(tmpl string, meta metadata) string {
	r := strings.NewReplacer("{{ .ProjectName }}", meta.ProjectName, "{{.ProjectName}}", meta.ProjectName,
		"{{ .Version }}", meta.Version, "{{.Version}}", meta.Version)
	return r.Replace(tmpl)
}
