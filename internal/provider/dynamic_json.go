package provider

import (
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// dynamicJSON converts a Terraform value of any type to what encoding/json
// writes: objects and maps become objects, lists, sets and tuples arrays,
// numbers keep their exact digits. ok is false while any of it is unknown.
func dynamicJSON(v attr.Value) (any, bool) {
	if v == nil || v.IsNull() {
		return nil, true
	}
	if v.IsUnknown() {
		return nil, false
	}
	switch v := v.(type) {
	case basetypes.DynamicValue:
		return dynamicJSON(v.UnderlyingValue())
	case basetypes.StringValue:
		return v.ValueString(), true
	case basetypes.BoolValue:
		return v.ValueBool(), true
	case basetypes.NumberValue:
		return json.Number(v.ValueBigFloat().Text('g', -1)), true
	case basetypes.ObjectValue:
		return dynamicJSONObject(v.Attributes())
	case basetypes.MapValue:
		return dynamicJSONObject(v.Elements())
	case basetypes.ListValue:
		return dynamicJSONArray(v.Elements())
	case basetypes.SetValue:
		return dynamicJSONArray(v.Elements())
	case basetypes.TupleValue:
		return dynamicJSONArray(v.Elements())
	default:
		// Configuration values are only of the kinds above; anything else is
		// sent as Terraform renders it rather than dropped.
		return v.String(), true
	}
}

func dynamicJSONObject(attrs map[string]attr.Value) (any, bool) {
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		j, ok := dynamicJSON(v)
		if !ok {
			return nil, false
		}
		out[k] = j
	}
	return out, true
}

func dynamicJSONArray(elems []attr.Value) (any, bool) {
	out := make([]any, 0, len(elems))
	for _, v := range elems {
		j, ok := dynamicJSON(v)
		if !ok {
			return nil, false
		}
		out = append(out, j)
	}
	return out, true
}
