package config

import (
	"strings"
	"testing"
)

func allKnown(string) bool { return true }

func TestCheckSource(t *testing.T) {
	cases := []struct {
		name string
		src  Source
		want []string // "field: text" of each expected error, in order
	}{
		{"zenoss basic auth", Source{Name: "z", Kind: "zenoss", URL: "https://z.example.com", Username: "u", Password: "p"}, nil},
		{"zenoss cloud key", Source{Name: "z", Kind: "zenoss", URL: "https://t.zenoss.io/cz0", APIKey: "k"}, nil},
		{"alertmanager without credentials", Source{Name: "a", Kind: "alertmanager", URL: "http://127.0.0.1:9093"}, nil},
		{"unknown kind", Source{Name: "n", Kind: "nagios", URL: "https://n.example.com"}, []string{"kind: is not one pdbridge"}},
		{"plain http remote", Source{Name: "a", Kind: "alertmanager", URL: "http://am.example.com"}, []string{"url: plain http"}},
		{"plain http remote, opted in", Source{Name: "a", Kind: "alertmanager", URL: "http://am.example.com", AllowInsecureHTTP: true}, nil},
		{"zenoss no credentials", Source{Name: "z", Kind: "zenoss", URL: "https://z.example.com"}, []string{"username: Zenoss needs"}},
		{"zenoss both", Source{Name: "z", Kind: "zenoss", URL: "https://z.example.com", Username: "u", Password: "p", APIKey: "k"}, []string{"api_key: Both"}},
		{"zenoss half basic", Source{Name: "z", Kind: "zenoss", URL: "https://z.example.com", Username: "u"}, []string{"password: Only one"}},
		{"icinga no credentials", Source{Name: "i", Kind: "icinga2", URL: "https://127.0.0.1:5665"}, []string{"username: Icinga 2 needs"}},
		{"icinga api key", Source{Name: "i", Kind: "icinga2", URL: "https://127.0.0.1:5665", Username: "u", Password: "p", APIKey: "k"}, []string{"api_key: api_key is Zenoss Cloud's"}},
		{"alertmanager basic auth", Source{Name: "a", Kind: "alertmanager", URL: "https://am.example.com", Username: "u", Password: "p"}, nil},
		{"alertmanager half basic auth", Source{Name: "a", Kind: "alertmanager", URL: "https://am.example.com", Username: "u"}, []string{"password: Only one of username and password"}},
		{"version on icinga2", Source{Name: "i", Kind: "icinga2", URL: "https://icinga.example.com:5665", Username: "u", Password: "p", Version: 5}, []string{"version: version is for Zenoss sources"}},
		{"zenoss 3", Source{Name: "z", Kind: "zenoss", URL: "https://z.example.com", Username: "u", Password: "p", Version: 3}, []string{"version: Version 3: pdbridge speaks to Zenoss 4, 5 and 6"}},
		{"sticky on alertmanager", Source{Name: "a", Kind: "alertmanager", URL: "https://am.example.com", StickyAcknowledgement: new(bool)}, []string{"sticky_acknowledgement: sticky_acknowledgement is for Icinga 2"}},
		{"bad ca", Source{Name: "a", Kind: "alertmanager", URL: "https://am.example.com", CABundle: "nope"}, []string{"ca_bundle: ca_bundle holds no PEM"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := CheckSource(c.src, allKnown)
			if len(errs) != len(c.want) {
				t.Fatalf("got %+v, want %d errors", errs, len(c.want))
			}
			for i, w := range c.want {
				field, text, _ := strings.Cut(w, ": ")
				if errs[i].Field != field || !strings.Contains(errs[i].Detail, text) {
					t.Errorf("error %d = %+v, want field %q containing %q", i, errs[i], field, text)
				}
			}
		})
	}
}

func TestCheckSourceSkipsUnknownValues(t *testing.T) {
	// At plan time a URL or password may come from another resource.
	errs := CheckSource(Source{Name: "z", Kind: "zenoss"}, func(f string) bool { return f != "url" && f != "password" && f != "username" })
	if len(errs) != 0 {
		t.Fatalf("unknown values must not be judged: %+v", errs)
	}
}

func TestParseDuration(t *testing.T) {
	if d, err := ParseDuration("90s"); err != nil || d.Seconds() != 90 {
		t.Fatalf("%v %v", d, err)
	}
	for _, bad := range []string{"", "soon", "0s", "-5s", "30"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}
