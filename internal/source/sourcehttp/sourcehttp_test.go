package sourcehttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Credentials go to the configured origin only: a redirect to another
// host gets none.
func TestCredentialsStayWithTheOrigin(t *testing.T) {
	var elsewhere string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere = r.Header.Get("Authorization")
	}))
	defer other.Close()
	var home string
	console := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		home = r.Header.Get("Authorization")
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	}))
	defer console.Close()
	u, err := ParseURL("test", console.URL)
	if err != nil {
		t.Fatal(err)
	}
	auth, secrets := BasicAuth("pdbridge", "s3cret")
	hc, err := NewClient(Options{Origin: u, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	status, _, err := Do(context.Background(), hc, http.MethodGet, console.URL+"/api", nil, nil, 1<<20, secrets)
	if err != nil || status != http.StatusOK {
		t.Fatalf("Do = %d, %v", status, err)
	}
	if !strings.HasPrefix(home, "Basic ") || elsewhere != "" {
		t.Errorf("Authorization: %q at the console, %q after the redirect elsewhere", home, elsewhere)
	}
}

func TestDoSendsJSONAndReportsTransportErrorsWithoutSecrets(t *testing.T) {
	var ct, accept, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct, accept = r.Header.Get("Content-Type"), r.Header.Get("Accept")
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		body = string(b[:n])
	}))
	u, _ := ParseURL("test", srv.URL)
	hc, _ := NewClient(Options{Origin: u, Connection: Connection{Retry: httpretry.Policy{MaxRetries: -1}}})
	if _, _, err := Do(context.Background(), hc, http.MethodPost, srv.URL, map[string]int{"a": 1}, nil, 1<<20, nil); err != nil {
		t.Fatal(err)
	}
	if ct != "application/json" || accept != "application/json" || body != `{"a":1}` {
		t.Errorf("sent %q %q %q", ct, accept, body)
	}
	srv.Close()
	_, _, err := Do(context.Background(), hc, http.MethodGet, srv.URL+"/?token=s3cret", nil, nil, 1<<20, Secrets{"s3cret"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error against a closed server: %v", err)
	}
}

func TestAPIErrorClassification(t *testing.T) {
	for _, c := range []struct {
		err      *APIError
		notFound bool
		auth     bool
	}{
		{&APIError{Status: 404, NotFound: true}, true, false},
		{&APIError{Status: 404}, false, false}, // a wrong base URL is no missing event
		{&APIError{Status: 401}, false, true},
		{&APIError{Status: 403}, false, true},
		{&APIError{Status: 500}, false, false},
	} {
		if errors.Is(c.err, source.ErrNotFound) != c.notFound || errors.Is(c.err, source.ErrAuth) != c.auth {
			t.Errorf("%+v: ErrNotFound %v, ErrAuth %v", c.err, errors.Is(c.err, source.ErrNotFound), errors.Is(c.err, source.ErrAuth))
		}
	}
	if got := (&APIError{Kind: "k", What: "reading x", Status: 409, Msg: "busy"}).Error(); got != "k: reading x: HTTP 409: busy" {
		t.Errorf("Error() = %q", got)
	}
}

func TestSnippetScrubsAndShortens(t *testing.T) {
	s := Secrets{"hunter2"}.Snippet([]byte("bad   password hunter2\n" + strings.Repeat("x", 300)))
	if strings.Contains(s, "hunter2") || !strings.HasPrefix(s, ": bad password [redacted]") || len(s) > 220 {
		t.Errorf("snippet %q", s)
	}
	if Secrets(nil).Snippet(nil) != "" {
		t.Error("an empty body has no snippet")
	}
}

func TestParseURL(t *testing.T) {
	for _, bad := range []string{"host:5665", "ftp://h", "https://u:p@h", "https://h/?q=1", "https://h/#f"} {
		if _, err := ParseURL("icinga2", bad); err == nil || !strings.HasPrefix(err.Error(), "icinga2: ") {
			t.Errorf("ParseURL(%q) = %v", bad, err)
		}
	}
}
