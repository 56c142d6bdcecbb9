package provider

import "github.com/hashicorp/terraform-plugin-framework/types"

// known is true for a value that is set and known at this point of the plan.
func known(v types.String) bool { return !v.IsNull() && !v.IsUnknown() }

// optionalString is null for "", else the string.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
