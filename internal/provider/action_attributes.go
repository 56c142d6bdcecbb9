package provider

import "github.com/hashicorp/terraform-plugin-framework/action/schema"

// Attributes the two event actions, pdbridge_event and pdbridge_change_event,
// share.

// actionRoutingKey is the routing key of the actions. Actions cannot mark
// an attribute Sensitive, and framework v1.19.0 refuses every non-null
// value of a WriteOnly action attribute in ValidateActionConfig (it
// validates action schemas as if the client did not support write-only
// attributes), so the key is a plain attribute: pass a sensitive value, such
// as a connector's integration_key, for Terraform to redact it.
func actionRoutingKey() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: eventDocs["routing_key"] + " Actions keep no state; pass a sensitive value (a connector's `integration_key` is one, or a `sensitive` variable) so that Terraform redacts it in its output.",
		Required:            true,
	}
}

func eventLinksAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: eventDocs["links"],
		Optional:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"href": schema.StringAttribute{MarkdownDescription: eventDocs["links.href"], Required: true},
			"text": schema.StringAttribute{MarkdownDescription: eventDocs["links.text"], Optional: true},
		}},
	}
}

func eventImagesAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: eventDocs["images"],
		Optional:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"src":  schema.StringAttribute{MarkdownDescription: eventDocs["images.src"], Required: true},
			"href": schema.StringAttribute{MarkdownDescription: eventDocs["images.href"], Optional: true},
			"alt":  schema.StringAttribute{MarkdownDescription: eventDocs["images.alt"], Optional: true},
		}},
	}
}
