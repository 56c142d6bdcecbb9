package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// attrError reports an error against its attribute and names the attribute
// in the text too: Terraform can point only at the enclosing block when the
// value sits inside a map or object literal.
func attrError(diags *diag.Diagnostics, at path.Path, summary, detail string) {
	diags.AddAttributeError(at, summary, at.String()+": "+detail)
}
