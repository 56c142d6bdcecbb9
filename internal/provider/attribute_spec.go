package provider

import (
	aschema "github.com/hashicorp/terraform-plugin-framework/action/schema"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	eschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The sync settings are one resource (pdbridge_sync_settings) whose object
// a data source, an ephemeral resource and an action take whole, as a
// nested attribute. The framework has a schema package per kind of object,
// so the attributes are described once here and built for each.

type specKind int

const (
	specString specKind = iota
	specBool
	specInt
	specStringMap
	specObject // attrs
	specList   // of objects with attrs
)

// attrSpec describes one attribute. Defaults apply on the resource, which
// stores the effective value; the objects that take the resource's object
// read a null as the default too.
type attrSpec struct {
	kind      specKind
	doc       string
	required  bool
	computed  bool // set by the resource itself (id)
	sensitive bool
	attrs     map[string]attrSpec
	defStr    *string
	defBool   *bool
	defInt    *int64
}

func strDefault(v string) *string { return &v }
func boolDefault(v bool) *bool    { return &v }
func intDefault(v int64) *int64   { return &v }

func (s attrSpec) hasDefault() bool { return s.defStr != nil || s.defBool != nil || s.defInt != nil }

// resourceAttributes builds the resource's schema: optional attributes with
// a default are also computed, so state holds the value in effect.
func resourceAttributes(specs map[string]attrSpec) map[string]rschema.Attribute {
	out := make(map[string]rschema.Attribute, len(specs))
	for name, s := range specs {
		optional := !s.required && !s.computed
		computed := s.computed || s.hasDefault()
		switch s.kind {
		case specString:
			a := rschema.StringAttribute{MarkdownDescription: s.doc, Required: s.required, Optional: optional, Computed: computed, Sensitive: s.sensitive}
			if s.defStr != nil {
				a.Default = stringdefault.StaticString(*s.defStr)
			}
			out[name] = a
		case specBool:
			a := rschema.BoolAttribute{MarkdownDescription: s.doc, Required: s.required, Optional: optional, Computed: computed}
			if s.defBool != nil {
				a.Default = booldefault.StaticBool(*s.defBool)
			}
			out[name] = a
		case specInt:
			a := rschema.Int64Attribute{MarkdownDescription: s.doc, Required: s.required, Optional: optional, Computed: computed}
			if s.defInt != nil {
				a.Default = int64default.StaticInt64(*s.defInt)
			}
			out[name] = a
		case specStringMap:
			out[name] = rschema.MapAttribute{MarkdownDescription: s.doc, Required: s.required, Optional: optional, ElementType: types.StringType}
		case specObject:
			out[name] = rschema.SingleNestedAttribute{MarkdownDescription: s.doc, Required: s.required, Optional: optional, Attributes: resourceAttributes(s.attrs)}
		case specList:
			out[name] = rschema.ListNestedAttribute{MarkdownDescription: s.doc, Required: s.required, Optional: optional,
				NestedObject: rschema.NestedAttributeObject{Attributes: resourceAttributes(s.attrs)}}
		}
	}
	return out
}

// The objects that take the settings whole accept every attribute the
// resource has; what the resource computes is optional here. Their three
// schema packages differ only in type names, so one walk builds all three.

type nestedBuilder[A any] struct {
	str, boolean, integer, strMap func(doc string, required, optional, sensitive bool) A
	object, list                  func(doc string, required, optional bool, attrs map[string]A) A
}

func buildAttributes[A any](specs map[string]attrSpec, b nestedBuilder[A]) map[string]A {
	out := make(map[string]A, len(specs))
	for name, s := range specs {
		req, opt := s.required, !s.required
		switch s.kind {
		case specString:
			out[name] = b.str(s.doc, req, opt, s.sensitive)
		case specBool:
			out[name] = b.boolean(s.doc, req, opt, s.sensitive)
		case specInt:
			out[name] = b.integer(s.doc, req, opt, s.sensitive)
		case specStringMap:
			out[name] = b.strMap(s.doc, req, opt, s.sensitive)
		case specObject:
			out[name] = b.object(s.doc, req, opt, buildAttributes(s.attrs, b))
		case specList:
			out[name] = b.list(s.doc, req, opt, buildAttributes(s.attrs, b))
		}
	}
	return out
}

var dataSourceBuilder = nestedBuilder[dschema.Attribute]{
	str: func(d string, r, o, sens bool) dschema.Attribute {
		return dschema.StringAttribute{MarkdownDescription: d, Required: r, Optional: o, Sensitive: sens}
	},
	boolean: func(d string, r, o, _ bool) dschema.Attribute {
		return dschema.BoolAttribute{MarkdownDescription: d, Required: r, Optional: o}
	},
	integer: func(d string, r, o, _ bool) dschema.Attribute {
		return dschema.Int64Attribute{MarkdownDescription: d, Required: r, Optional: o}
	},
	strMap: func(d string, r, o, _ bool) dschema.Attribute {
		return dschema.MapAttribute{MarkdownDescription: d, Required: r, Optional: o, ElementType: types.StringType}
	},
	object: func(d string, r, o bool, a map[string]dschema.Attribute) dschema.Attribute {
		return dschema.SingleNestedAttribute{MarkdownDescription: d, Required: r, Optional: o, Attributes: a}
	},
	list: func(d string, r, o bool, a map[string]dschema.Attribute) dschema.Attribute {
		return dschema.ListNestedAttribute{MarkdownDescription: d, Required: r, Optional: o, NestedObject: dschema.NestedAttributeObject{Attributes: a}}
	},
}

var ephemeralBuilder = nestedBuilder[eschema.Attribute]{
	str: func(d string, r, o, sens bool) eschema.Attribute {
		return eschema.StringAttribute{MarkdownDescription: d, Required: r, Optional: o, Sensitive: sens}
	},
	boolean: func(d string, r, o, _ bool) eschema.Attribute {
		return eschema.BoolAttribute{MarkdownDescription: d, Required: r, Optional: o}
	},
	integer: func(d string, r, o, _ bool) eschema.Attribute {
		return eschema.Int64Attribute{MarkdownDescription: d, Required: r, Optional: o}
	},
	strMap: func(d string, r, o, _ bool) eschema.Attribute {
		return eschema.MapAttribute{MarkdownDescription: d, Required: r, Optional: o, ElementType: types.StringType}
	},
	object: func(d string, r, o bool, a map[string]eschema.Attribute) eschema.Attribute {
		return eschema.SingleNestedAttribute{MarkdownDescription: d, Required: r, Optional: o, Attributes: a}
	},
	list: func(d string, r, o bool, a map[string]eschema.Attribute) eschema.Attribute {
		return eschema.ListNestedAttribute{MarkdownDescription: d, Required: r, Optional: o, NestedObject: eschema.NestedAttributeObject{Attributes: a}}
	},
}

// Action attributes cannot be sensitive (framework v1.19.0).
var actionBuilder = nestedBuilder[aschema.Attribute]{
	str: func(d string, r, o, _ bool) aschema.Attribute {
		return aschema.StringAttribute{MarkdownDescription: d, Required: r, Optional: o}
	},
	boolean: func(d string, r, o, _ bool) aschema.Attribute {
		return aschema.BoolAttribute{MarkdownDescription: d, Required: r, Optional: o}
	},
	integer: func(d string, r, o, _ bool) aschema.Attribute {
		return aschema.Int64Attribute{MarkdownDescription: d, Required: r, Optional: o}
	},
	strMap: func(d string, r, o, _ bool) aschema.Attribute {
		return aschema.MapAttribute{MarkdownDescription: d, Required: r, Optional: o, ElementType: types.StringType}
	},
	object: func(d string, r, o bool, a map[string]aschema.Attribute) aschema.Attribute {
		return aschema.SingleNestedAttribute{MarkdownDescription: d, Required: r, Optional: o, Attributes: a}
	},
	list: func(d string, r, o bool, a map[string]aschema.Attribute) aschema.Attribute {
		return aschema.ListNestedAttribute{MarkdownDescription: d, Required: r, Optional: o, NestedObject: aschema.NestedAttributeObject{Attributes: a}}
	},
}
