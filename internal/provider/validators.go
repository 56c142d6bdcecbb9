package provider

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
)

// stringCheck is a check of one string attribute, declared in the schema as
// a validator; Configure runs it (recheck) on what the environment filled in,
// which validation never sees. terraform-plugin-framework-validators has no
// duration, time zone or email validator.
type stringCheck struct {
	description string
	check       func(diags *diag.Diagnostics, at path.Path, v string)
}

var _ validator.String = stringCheck{}

func (c stringCheck) Description(context.Context) string { return c.description }

func (c stringCheck) MarkdownDescription(ctx context.Context) string { return c.Description(ctx) }

func (c stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	c.recheck(&resp.Diagnostics, req.Path, req.ConfigValue)
}

// recheck runs the check on v when it is set and known.
func (c stringCheck) recheck(diags *diag.Diagnostics, at path.Path, v types.String) {
	if known(v) {
		c.check(diags, at, v.ValueString())
	}
}

// The errors name the attribute in their text too (attrError): inside the
// sources map Terraform can point only at the provider block.
var (
	isDuration = stringCheck{"value must be a duration such as 30s or 1m30s", func(diags *diag.Diagnostics, at path.Path, v string) {
		if _, err := config.ParseDuration(v); err != nil {
			attrError(diags, at, "Invalid Duration", err.Error())
		}
	}}
	isTimeZone = stringCheck{"value must be an IANA time zone such as Europe/Berlin or UTC", func(diags *diag.Diagnostics, at path.Path, v string) {
		if _, err := time.LoadLocation(v); err != nil {
			attrError(diags, at, "Unknown Time Zone", fmt.Sprintf("%q is not an IANA time zone such as \"Europe/Berlin\" or \"UTC\".", v))
		}
	}}
	isEmail = stringCheck{"value must be an email address", func(diags *diag.Diagnostics, at path.Path, v string) {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			attrError(diags, at, "Invalid User Email", fmt.Sprintf("%q is not an email address (PagerDuty requires the email of a user in the account)", v))
		}
	}}
	isAllowedHost = stringCheck{"value must be a host name, an IP address or *", func(diags *diag.Diagnostics, at path.Path, v string) {
		if err := events.CheckAllowedHostEntry(v); err != nil {
			attrError(diags, at, "Invalid Allowed Host", err.Error()+".")
		}
	}}
)
