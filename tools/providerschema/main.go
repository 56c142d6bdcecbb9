// Command providerschema prints the pdbridge provider's schema in the format
// of `terraform providers schema -json`, action_schemas included.
//
// Terraform before 1.14 leaves actions out of that output, so tfplugindocs
// run through it writes no action pages. This program asks the in-process
// provider for its schema instead, and tfplugindocs reads the result with
// --providers-schema. Apart from action_schemas the output equals
// Terraform's own (main_test.go checks it against the terraform on PATH).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/provider"
)

func main() {
	address := flag.String("address", "registry.terraform.io/pdbridge/pdbridge",
		"the provider address the schema is keyed by (tfplugindocs looks for registry.terraform.io/hashicorp/<name>)")
	flag.Parse()
	schemas, err := providerSchemas(context.Background(), *address)
	if err != nil {
		fmt.Fprintln(os.Stderr, "providerschema:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(schemas); err != nil {
		fmt.Fprintln(os.Stderr, "providerschema:", err)
		os.Exit(1)
	}
}

// providerSchemas returns the provider's schemas keyed by address.
func providerSchemas(ctx context.Context, address string) (*tfjson.ProviderSchemas, error) {
	srv, err := providerserver.NewProtocol6WithError(provider.New("dev")())()
	if err != nil {
		return nil, err
	}
	resp, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return nil, err
	}
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return nil, fmt.Errorf("provider schema: %s: %s", d.Summary, d.Detail)
		}
	}
	ps := &tfjson.ProviderSchema{
		ConfigSchema:             convertSchema(resp.Provider),
		ResourceSchemas:          convertSchemas(resp.ResourceSchemas),
		DataSourceSchemas:        convertSchemas(resp.DataSourceSchemas),
		EphemeralResourceSchemas: convertSchemas(resp.EphemeralResourceSchemas),
	}
	if len(resp.ActionSchemas) > 0 {
		ps.ActionSchemas = map[string]*tfjson.ActionSchema{}
		for name, a := range resp.ActionSchemas {
			ps.ActionSchemas[name] = &tfjson.ActionSchema{Block: convertBlock(a.Schema.Block)}
		}
	}
	// Functions and list resources would need their own conversion; pdbridge
	// has none, so refuse rather than drop them silently.
	if len(resp.Functions) > 0 || len(resp.ListResourceSchemas) > 0 {
		return nil, fmt.Errorf("the provider declares functions or list resources, which this program does not convert yet")
	}
	return &tfjson.ProviderSchemas{FormatVersion: "1.0", Schemas: map[string]*tfjson.ProviderSchema{address: ps}}, nil
}

func convertSchemas(in map[string]*tfprotov6.Schema) map[string]*tfjson.Schema {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]*tfjson.Schema, len(in))
	for name, s := range in {
		out[name] = convertSchema(s)
	}
	return out
}

func convertSchema(s *tfprotov6.Schema) *tfjson.Schema {
	if s == nil {
		return nil
	}
	return &tfjson.Schema{Version: uint64(s.Version), Block: convertBlock(s.Block)}
}

func convertBlock(b *tfprotov6.SchemaBlock) *tfjson.SchemaBlock {
	out := &tfjson.SchemaBlock{Description: b.Description, DescriptionKind: descriptionKind(b.DescriptionKind), Deprecated: b.Deprecated}
	if len(b.Attributes) > 0 {
		out.Attributes = map[string]*tfjson.SchemaAttribute{}
		for _, a := range b.Attributes {
			out.Attributes[a.Name] = convertAttribute(a)
		}
	}
	if len(b.BlockTypes) > 0 {
		out.NestedBlocks = map[string]*tfjson.SchemaBlockType{}
		for _, nb := range b.BlockTypes {
			out.NestedBlocks[nb.TypeName] = &tfjson.SchemaBlockType{
				NestingMode: blockNesting[nb.Nesting], Block: convertBlock(nb.Block),
				MinItems: uint64(nb.MinItems), MaxItems: uint64(nb.MaxItems),
			}
		}
	}
	return out
}

func convertAttribute(a *tfprotov6.SchemaAttribute) *tfjson.SchemaAttribute {
	out := &tfjson.SchemaAttribute{
		Description: a.Description, DescriptionKind: descriptionKind(a.DescriptionKind), Deprecated: a.Deprecated,
		Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive, WriteOnly: a.WriteOnly,
	}
	if a.NestedType != nil {
		nested := &tfjson.SchemaNestedAttributeType{NestingMode: objectNesting[a.NestedType.Nesting], Attributes: map[string]*tfjson.SchemaAttribute{}}
		for _, na := range a.NestedType.Attributes {
			nested.Attributes[na.Name] = convertAttribute(na)
		}
		out.AttributeNestedType = nested
		return out
	}
	out.AttributeType = ctyType(a.Type)
	return out
}

var blockNesting = map[tfprotov6.SchemaNestedBlockNestingMode]tfjson.SchemaNestingMode{
	tfprotov6.SchemaNestedBlockNestingModeSingle: tfjson.SchemaNestingModeSingle,
	tfprotov6.SchemaNestedBlockNestingModeGroup:  tfjson.SchemaNestingModeGroup,
	tfprotov6.SchemaNestedBlockNestingModeList:   tfjson.SchemaNestingModeList,
	tfprotov6.SchemaNestedBlockNestingModeSet:    tfjson.SchemaNestingModeSet,
	tfprotov6.SchemaNestedBlockNestingModeMap:    tfjson.SchemaNestingModeMap,
}

var objectNesting = map[tfprotov6.SchemaObjectNestingMode]tfjson.SchemaNestingMode{
	tfprotov6.SchemaObjectNestingModeSingle: tfjson.SchemaNestingModeSingle,
	tfprotov6.SchemaObjectNestingModeList:   tfjson.SchemaNestingModeList,
	tfprotov6.SchemaObjectNestingModeSet:    tfjson.SchemaNestingModeSet,
	tfprotov6.SchemaObjectNestingModeMap:    tfjson.SchemaNestingModeMap,
}

func descriptionKind(k tfprotov6.StringKind) tfjson.SchemaDescriptionKind {
	if k == tfprotov6.StringKindMarkdown {
		return tfjson.SchemaDescriptionKindMarkdown
	}
	return tfjson.SchemaDescriptionKindPlain
}

// ctyType converts a protocol type to the cty type Terraform reports; cty
// writes the JSON type notation (tftypes' own MarshalJSON is deprecated).
func ctyType(t tftypes.Type) cty.Type {
	switch {
	case t == nil:
		return cty.NilType
	case t.Equal(tftypes.String):
		return cty.String
	case t.Equal(tftypes.Number):
		return cty.Number
	case t.Equal(tftypes.Bool):
		return cty.Bool
	case t.Equal(tftypes.DynamicPseudoType):
		return cty.DynamicPseudoType
	}
	switch t := t.(type) {
	case tftypes.List:
		return cty.List(ctyType(t.ElementType))
	case tftypes.Set:
		return cty.Set(ctyType(t.ElementType))
	case tftypes.Map:
		return cty.Map(ctyType(t.ElementType))
	case tftypes.Tuple:
		elems := make([]cty.Type, len(t.ElementTypes))
		for i, e := range t.ElementTypes {
			elems[i] = ctyType(e)
		}
		return cty.Tuple(elems)
	case tftypes.Object:
		attrs := make(map[string]cty.Type, len(t.AttributeTypes))
		for name, at := range t.AttributeTypes {
			attrs[name] = ctyType(at)
		}
		if len(t.OptionalAttributes) > 0 {
			var optional []string
			for name := range t.OptionalAttributes {
				optional = append(optional, name)
			}
			return cty.ObjectWithOptionalAttrs(attrs, optional)
		}
		return cty.Object(attrs)
	}
	panic(fmt.Sprintf("providerschema: no cty type for %s", t))
}
