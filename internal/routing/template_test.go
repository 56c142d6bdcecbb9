package routing

import (
	"strings"
	"testing"
)

func TestCheckTemplateAcceptsTheDataModel(t *testing.T) {
	for _, text := range []string{
		"plain text",
		"{{.Device}}|{{.Component}}|{{.Severity}}",
		"{{.Summary}} {{.Source}} {{.Group}} {{.Class}} {{.Timestamp}} {{.DedupKey}}",
		"{{.Details.device_class}}",
		`{{index .Details "odd key"}}`,
		"{{with .Details}}{{.anything.at.all}}{{end}}",
		"{{range $k, $v := .Details}}{{$k}}={{$v}} {{.whatever}}{{end}}",
		"{{with .Details}}{{$.Summary}}{{end}}",
		`{{if eq .Severity "info"}}warning{{else}}{{.Severity}}{{end}}`,
		`{{printf "%s/%s" .Source .Component | printf "%q"}}`,
		`{{define "x"}}{{.Foo}}{{end}}{{template "x" .Details}}`,
		"{{$s := .Summary}}{{$s}}",
	} {
		if err := checkTemplate("summary", text); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}

func TestCheckTemplateNamesTheBadField(t *testing.T) {
	for text, want := range map[string]string{
		"{{.Devise}}":                        "summary:1:2: the event has no field .Devise",
		"a\n{{.summary}}":                    "summary:2:2: the event has no field .summary",
		"{{.Summary.Text}}":                  ".Summary is a string and has no field .Text",
		"{{with .Source}}{{.Name}}{{end}}":   "has no field .Name",
		"{{with .Details}}{{$.Nope}}{{end}}": "the event has no field .Nope",
		`{{if .Detail}}x{{end}}`:             "the event has no field .Detail",
		`{{printf "%s" .Sevrity}}`:           "the event has no field .Sevrity",
		"{{.Summary}":                        "summary:1: bad character",
		"{{len}}":                            "", // caught only when run: not a field problem
	} {
		err := checkTemplate("summary", text)
		if want == "" {
			if err != nil {
				t.Errorf("%q: unexpected %v", text, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}

func TestIsConstantTemplate(t *testing.T) {
	for text, want := range map[string]bool{"critical": true, "": true, "{{.Severity}}": false, "a{{/* c */}}b": true, "{{": false} {
		if got := isConstantTemplate(text); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}
