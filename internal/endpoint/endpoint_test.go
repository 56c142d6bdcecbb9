package endpoint

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		raw       string
		allowHTTP bool
		wantErr   string
	}{
		{raw: "https://api.pagerduty.com"},
		{raw: "https://zenoss.example.com:8443/cz0"},
		{raw: "http://127.0.0.1:8080"},
		{raw: "http://localhost:9093"},
		{raw: "http://[::1]:5665"},
		{raw: "http://zenoss.example.com:8080", allowHTTP: true},
		{raw: "http://zenoss.example.com:8080", wantErr: "plain http to zenoss.example.com"},
		{raw: "http://10.0.0.5", wantErr: "not a loopback address"},
		{raw: "http://127.0.0.1.example.com", wantErr: "not a loopback address"},
		{raw: "zenoss.example.com", wantErr: "has no scheme"},
		{raw: "am.example.com:9093", wantErr: "has no scheme"},
		{raw: "ftp://zenoss.example.com", wantErr: `scheme "ftp"`},
		{raw: "https://", wantErr: "has no host"},
		{raw: "https://user:pw@zenoss.example.com", wantErr: "must not carry credentials"},
		{raw: "https://zenoss.example.com/?a=b", wantErr: "query or fragment"},
		{raw: " https://x.example.com", wantErr: "surrounding spaces"},
		{raw: "", wantErr: "empty"},
		{raw: "https://bad host", wantErr: "not a URL"},
	}
	for _, c := range cases {
		_, err := Check(c.raw, c.allowHTTP)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("Check(%q) = %v, want no error", c.raw, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("Check(%q) = %v, want error containing %q", c.raw, err, c.wantErr)
		}
	}
}

func TestCheckNeverEchoesCredentials(t *testing.T) {
	for _, raw := range []string{
		"https://admin:s3cret@zenoss.example.com", "https://admin:s3cret@bad host", "ftp://u:s3cret@h",
		"https://u:s3cret@", "u:s3cret@h", "https://h/?api_key=s3cret", "http://h.example.com/#s3cret", " https://u:s3cret@h",
	} {
		_, err := Check(raw, false)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("Check(%q): error must exist and not contain the password: %v", raw, err)
		}
	}
}
