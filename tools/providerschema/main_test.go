package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"
)

const address = "registry.terraform.io/pdbridge/pdbridge"

func TestActionSchemasAreIncluded(t *testing.T) {
	schemas, err := providerSchemas(context.Background(), address)
	if err != nil {
		t.Fatal(err)
	}
	ps := schemas.Schemas[address]
	for _, name := range []string{"pdbridge_event", "pdbridge_change_event"} {
		a, ok := ps.ActionSchemas[name]
		if !ok {
			t.Fatalf("no action %s in %v", name, ps.ActionSchemas)
		}
		rk := a.Block.Attributes["routing_key"]
		if rk == nil || !rk.Required || rk.AttributeType != cty.String || rk.DescriptionKind != "markdown" {
			t.Errorf("%s.routing_key = %+v", name, rk)
		}
	}
	links := ps.ActionSchemas["pdbridge_event"].Block.Attributes["links"]
	if links.AttributeNestedType == nil || links.AttributeNestedType.NestingMode != "list" || !links.AttributeNestedType.Attributes["href"].Required {
		t.Errorf("links = %+v", links)
	}
	if ps.ActionSchemas["pdbridge_event"].Block.Attributes["custom_details"].AttributeType != cty.DynamicPseudoType {
		t.Error("custom_details is not dynamic")
	}
	if ps.ConfigSchema == nil || ps.ResourceSchemas["pdbridge_connector"] == nil || ps.EphemeralResourceSchemas["pdbridge_event"] == nil {
		t.Error("provider, resource or ephemeral resource schemas missing")
	}
}

func TestCtyTypes(t *testing.T) {
	obj := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.String, "b": tftypes.Number}, OptionalAttributes: map[string]struct{}{"b": {}}}
	for _, c := range []struct {
		in   tftypes.Type
		want cty.Type
	}{
		{tftypes.Bool, cty.Bool},
		{tftypes.List{ElementType: tftypes.String}, cty.List(cty.String)},
		{tftypes.Set{ElementType: tftypes.Number}, cty.Set(cty.Number)},
		{tftypes.Map{ElementType: tftypes.Bool}, cty.Map(cty.Bool)},
		{tftypes.DynamicPseudoType, cty.DynamicPseudoType},
		{tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.String, tftypes.Bool}}, cty.Tuple([]cty.Type{cty.String, cty.Bool})},
	} {
		if got := ctyType(c.in); !got.Equals(c.want) {
			t.Errorf("ctyType(%s) = %#v, want %#v", c.in, got, c.want)
		}
	}
	got, err := json.Marshal(ctyType(obj))
	if err != nil || string(got) != `["object",{"a":"string","b":"number"},["b"]]` {
		t.Errorf("object with an optional attribute: %s, %v", got, err)
	}
}

// TestOutputMatchesTerraform compares the output, without action_schemas,
// with `terraform providers schema -json` for the same provider, built and
// installed from a local mirror. It needs the terraform CLI (TF_ACC, as the
// acceptance tests).
func TestOutputMatchesTerraform(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to compare with the terraform CLI")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Skip("terraform CLI not found (set TF_ACC_TERRAFORM_PATH)")
		}
	}
	dir := t.TempDir()
	plugin := filepath.Join(dir, "mirror", address, "0.0.1", runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-pdbridge_v0.0.1")
	run(t, "", nil, "go", "build", "-o", plugin, "github.com/pdbridge/terraform-provider-pdbridge")
	cli := filepath.Join(dir, "cli.tfrc")
	write(t, cli, fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n}\n", filepath.Join(dir, "mirror"), address))
	work := filepath.Join(dir, "work")
	write(t, filepath.Join(work, "main.tf"), `terraform {
  required_providers {
    pdbridge = {
      source  = "pdbridge/pdbridge"
      version = "0.0.1"
    }
  }
}
`)
	env := []string{"TF_CLI_CONFIG_FILE=" + cli, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}
	run(t, work, env, tf, "init", "-input=false", "-no-color")
	var fromTerraform map[string]any
	if err := json.Unmarshal(run(t, work, env, tf, "providers", "schema", "-json"), &fromTerraform); err != nil {
		t.Fatal(err)
	}

	schemas, err := providerSchemas(context.Background(), address)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(schemas)
	if err != nil {
		t.Fatal(err)
	}
	var ours map[string]any
	if err := json.Unmarshal(data, &ours); err != nil {
		t.Fatal(err)
	}
	all, _ := ours["provider_schemas"].(map[string]any)
	p, _ := all[address].(map[string]any)
	if p["action_schemas"] == nil {
		t.Fatal("no action_schemas in the output")
	}
	delete(p, "action_schemas")
	if diff := cmp.Diff(fromTerraform, ours); diff != "" {
		t.Errorf("output differs from terraform providers schema -json (-terraform +ours):\n%s", diff)
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
