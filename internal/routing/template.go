package routing

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// TemplateData is what a field-override template sees: the source event as
// it would be sent, before any override. Details is its custom_details,
// where a source such as Zenoss puts its own fields (device_class, …).
//
//	{{.Summary}} {{.Severity}} {{.Source}} {{.Device}} {{.Component}}
//	{{.Group}} {{.Class}} {{.Timestamp}} {{.DedupKey}} {{.Details.device_class}}
//
// Device is the same as Source (the affected system; the device, for
// Zenoss), so that dedup formats read as they do elsewhere in pdbridge:
// {{.Device}}|{{.Component}}|{{.Severity}}.
type TemplateData struct {
	Summary   string
	Severity  string
	Source    string
	Device    string
	Component string
	Group     string
	Class     string
	Timestamp string
	DedupKey  string
	Details   map[string]any
}

// templateFields are TemplateData's fields, for error messages and checks.
var templateFields = []string{"Summary", "Severity", "Source", "Device", "Component", "Group", "Class", "Timestamp", "DedupKey", "Details"}

func templateData(ev Event) TemplateData {
	details := ev.CustomDetails
	if details == nil {
		details = map[string]any{}
	}
	return TemplateData{Summary: ev.Summary, Severity: ev.Severity, Source: ev.Source, Device: ev.Source,
		Component: ev.Component, Group: ev.Group, Class: ev.Class, Timestamp: ev.Timestamp, DedupKey: ev.DedupKey, Details: details}
}

// parseTemplate parses a field-override template. A custom detail the event
// lacks is an error when the template runs (missingkey=error), rather than
// the text "<no value>" reaching PagerDuty; {{with index .Details "key"}}{{.}}{{end}}
// reads an optional one (a bare index would print "<no value>" when missing).
func parseTemplate(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Parse(text)
}

// checkTemplate parses a template and checks, without running it, that it
// names only TemplateData's fields: a misspelt field would otherwise fail
// only when an event reaches the rule.
func checkTemplate(name, text string) error {
	t, err := parseTemplate(name, text)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return CheckFields(t, eventTemplateFields)
}

// TemplateFields describe the data a template runs on: struct fields that
// hold strings, and one that holds a map any key may be asked of.
type TemplateFields struct {
	Strings []string
	Map     string
	// MapHint says what the map is, for errors ("custom_details").
	MapHint string
}

var eventTemplateFields = TemplateFields{Strings: templateFields[:len(templateFields)-1], Map: "Details", MapHint: "custom_details"}

func (f TemplateFields) all() []string { return append(slices.Clone(f.Strings), f.Map) }

// CheckFields checks, without running it, that a parsed template (and the
// templates it defines) names only the fields f describes: a misspelt field
// would otherwise fail only when data reaches it.
func CheckFields(t *template.Template, f TemplateFields) error {
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		dot := dotRoot
		if tt.Name() != t.Name() { // a {{define}}d template: its dot is whatever it is called with
			dot = dotUnknown
		}
		if err := checkNode(f, tt.Tree, tt.Root, dot); err != nil {
			return err
		}
	}
	return nil
}

func mustTemplate(name, text string) *template.Template {
	if text == "" {
		return nil
	}
	t, err := parseTemplate(name, text)
	if err != nil {
		panic(err) // Compile runs Check first
	}
	return t
}

func render(t *template.Template, data TemplateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return b.String(), nil
}

// dotKind is what a template's dot holds at some point, as far as a static
// walk can tell.
type dotKind int

const (
	dotUnknown dotKind = iota // inside range, or after a pipeline we do not follow
	dotRoot                   // TemplateData
	dotString                 // one of its string fields
	dotMap                    // Details: any key may be asked for
)

// fieldKind is what .Name on dot yields; ok is false when dot has no such field.
func fieldKind(f TemplateFields, dot dotKind, name string) (dotKind, bool) {
	switch dot {
	case dotRoot:
		if name == f.Map {
			return dotMap, true
		}
		if !slices.Contains(f.Strings, name) {
			return dotUnknown, false
		}
		return dotString, true
	case dotString:
		return dotUnknown, false
	}
	return dotUnknown, true
}

func checkChain(f TemplateFields, tree *parse.Tree, n parse.Node, dot dotKind, idents []string) (dotKind, error) {
	cur := dot
	for i, id := range idents {
		next, ok := fieldKind(f, cur, id)
		if !ok {
			where, _ := tree.ErrorContext(n)
			if cur == dotString {
				return dotUnknown, fmt.Errorf("%s: .%s is a string and has no field .%s", where, strings.Join(idents[:i], "."), id)
			}
			return dotUnknown, fmt.Errorf("%s: the event has no field .%s; the fields are .%s (%s is %s: .%s.key)", where, id, strings.Join(f.all(), " ."), f.Map, f.MapHint, f.Map)
		}
		cur = next
	}
	return cur, nil
}

// checkNode walks the tree with what dot holds, and returns the first field
// that cannot exist.
func checkNode(f TemplateFields, tree *parse.Tree, n parse.Node, dot dotKind) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNode(f, tree, c, dot); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		_, err := checkPipe(f, tree, n.Pipe, dot)
		return err
	case *parse.IfNode:
		return checkBranch(f, tree, &n.BranchNode, dot, false)
	case *parse.WithNode:
		return checkBranch(f, tree, &n.BranchNode, dot, true)
	case *parse.RangeNode:
		if _, err := checkPipe(f, tree, n.Pipe, dot); err != nil {
			return err
		}
		if err := checkNode(f, tree, n.List, dotUnknown); err != nil {
			return err
		}
		return checkNode(f, tree, n.ElseList, dot)
	case *parse.TemplateNode:
		if n.Pipe != nil {
			_, err := checkPipe(f, tree, n.Pipe, dot)
			return err
		}
	}
	return nil
}

func checkBranch(f TemplateFields, tree *parse.Tree, b *parse.BranchNode, dot dotKind, with bool) error {
	kind, err := checkPipe(f, tree, b.Pipe, dot)
	if err != nil {
		return err
	}
	inner := dot
	if with {
		inner = kind
	}
	if err := checkNode(f, tree, b.List, inner); err != nil {
		return err
	}
	return checkNode(f, tree, b.ElseList, dot)
}

// checkPipe checks a pipeline's fields and returns what it yields when it is
// a plain field reference, dotUnknown otherwise.
func checkPipe(f TemplateFields, tree *parse.Tree, p *parse.PipeNode, dot dotKind) (dotKind, error) {
	if p == nil {
		return dotUnknown, nil
	}
	result := dotUnknown
	for _, cmd := range p.Cmds {
		for _, arg := range cmd.Args {
			kind, err := checkArg(f, tree, arg, dot)
			if err != nil {
				return dotUnknown, err
			}
			if len(p.Cmds) == 1 && len(cmd.Args) == 1 {
				result = kind
			}
		}
	}
	return result, nil
}

func checkArg(f TemplateFields, tree *parse.Tree, arg parse.Node, dot dotKind) (dotKind, error) {
	switch a := arg.(type) {
	case *parse.FieldNode:
		return checkChain(f, tree, a, dot, a.Ident)
	case *parse.DotNode:
		return dot, nil
	case *parse.VariableNode:
		if a.Ident[0] == "$" { // $ is the template's data, whatever dot is
			return checkChain(f, tree, a, dotRoot, a.Ident[1:])
		}
	case *parse.ChainNode:
		if _, err := checkArg(f, tree, a.Node, dot); err != nil {
			return dotUnknown, err
		}
	case *parse.PipeNode:
		_, err := checkPipe(f, tree, a, dot)
		return dotUnknown, err
	}
	return dotUnknown, nil
}

// isConstantTemplate reports whether a template is plain text, with no
// action: its value is known without an event.
func isConstantTemplate(text string) bool {
	t, err := parseTemplate("t", text)
	if err != nil || t.Tree == nil || t.Root == nil {
		return err == nil
	}
	for _, n := range t.Root.Nodes {
		if n.Type() != parse.NodeText {
			return false
		}
	}
	return len(t.Templates()) <= 1
}
