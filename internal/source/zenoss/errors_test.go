package zenoss

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// canned serves fixed answers and counts requests per EventsRouter method.
type canned struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *canned) count(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

func (c *canned) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// An answerFunc writes a canned response; an error is a failed write, which
// fails the test.
type answerFunc func(w http.ResponseWriter, r *http.Request, method string) error

func cannedClient(t *testing.T, answer answerFunc) (*Client, *canned) {
	t.Helper()
	cn := &canned{calls: map[string]int{}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Method string `json:"method"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &req)
		cn.mu.Lock()
		cn.calls[req.Method]++
		cn.mu.Unlock()
		if err := answer(w, r, req.Method); err != nil {
			t.Errorf("answering %s: %v", req.Method, err)
		}
	}))
	t.Cleanup(hs.Close)
	c, err := New(Config{URL: hs.URL, Username: testUser, Password: testPassword, Retry: httpretry.Policy{MaxRetries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	return c, cn
}

func writeBody(contentType string, status int, body string) answerFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ string) error {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, err := io.WriteString(w, body)
		return err
	}
}

const jsonType = "application/json"

func TestErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer answerFunc
		is     error  // errors.Is target, if any
		remote bool   // a *RemoteError
		says   string // part of the message
	}{
		{"method exception as HTTP 200", writeBody(jsonType, 200, `{"type":"rpc","tid":1,"result":{"success":false,"type":"exception","msg":"ServiceResponseError: Not Found"}}`),
			source.ErrNotFound, true, "ServiceResponseError: Not Found"},
		{"event server unreachable", writeBody(jsonType, 200, `{"result":{"success":false,"type":"error","msg":"Could not connect to the event server","sticky":true}}`),
			nil, true, "Could not connect to the event server"},
		{"permission failure", writeBody(jsonType, 200, `{"result":{"success":false,"type":"exception","msg":"Unauthorized: Calling detail requires \"ZenCommon\" permission"}}`),
			source.ErrAuth, true, "ZenCommon"},
		{"generic Ext.Direct exception, JSON in a string", writeBody(jsonType, 200, `"{\"type\": \"exception\", \"message\": \"ValueError boom\"}"`),
			nil, true, "ValueError boom"},
		{"login form without redirect", writeBody("text/html; charset=utf-8", 200, `<html><form action="login"><input name="__ac_name"><input type="password" name="__ac_password"></form></html>`),
			source.ErrAuth, false, "login form"},
		{"redirect to the login form", func(w http.ResponseWriter, r *http.Request, _ string) error {
			if strings.Contains(r.URL.Path, "login_form") {
				return writeBody("text/html", 200, "<html>Please log in</html>")(w, r, "")
			}
			http.Redirect(w, r, "/zport/acl_users/cookieAuthHelper/login_form?came_from=x", http.StatusFound)
			return nil
		}, source.ErrAuth, false, "login form"},
		{"401 from a proxy", writeBody("text/plain", 401, "Unauthorized"), source.ErrAuth, false, "401"},
		{"Zope error page", writeBody("text/html", 500, "<html><body><h2>Site Error</h2><p><strong>DirectException</strong></p></body></html>"),
			nil, false, "HTTP 500 Internal Server Error: Site Error DirectException"},
		{"HTML that is not the login form", writeBody("text/html", 200, "<html><body>Maintenance</body></html>"),
			ErrMalformed, false, "expected JSON"},
		{"truncated JSON", writeBody(jsonType, 200, `{"result": {"success": tr`), ErrMalformed, false, "EventsRouter.detail"},
		{"empty body", writeBody(jsonType, 200, ``), ErrMalformed, false, "EventsRouter.detail"},
		{"no result", writeBody(jsonType, 200, `{"type":"rpc","tid":1}`), ErrMalformed, false, "no result"},
		{"no success flag", writeBody(jsonType, 200, `{"result":{"event":[]}}`), ErrMalformed, false, "no success flag"},
		{"empty batch", writeBody(jsonType, 200, `[]`), ErrMalformed, false, "empty response list"},
		{"event of the wrong type", writeBody(jsonType, 200, `{"result":{"success":true,"event":"oops"}}`), ErrMalformed, false, "EventsRouter.detail"},
		{"device of the wrong type", writeBody(jsonType, 200, `{"result":{"success":true,"event":[{"evid":"e1","device":42}]}}`), ErrMalformed, false, "device"},
		{"timestamp of the wrong type", writeBody(jsonType, 200, `{"result":{"success":true,"event":[{"evid":"e1","stateChange":{"t":1}}]}}`), ErrMalformed, false, "stateChange"},
		{"event without evid", writeBody(jsonType, 200, `{"result":{"success":true,"event":[{"summary":"x"}]}}`), ErrMalformed, false, "without evid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := cannedClient(t, tc.answer)
			ev, err := c.Get(context.Background(), "e1")
			if err == nil {
				t.Fatalf("want an error, got %+v", ev)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("want errors.Is %v, got %v", tc.is, err)
			}
			var re *RemoteError
			if errors.As(err, &re) != tc.remote {
				t.Errorf("RemoteError = %v, want %v (%v)", !tc.remote, tc.remote, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q should say %q", err, tc.says)
			}
			if ev.ID != "" {
				t.Errorf("a failed Get should return no event, got %+v", ev)
			}
		})
	}
}

func TestServerTextIsScrubbedOfCredentials(t *testing.T) {
	c, _ := cannedClient(t, writeBody(jsonType, 200,
		`{"result":{"success":false,"type":"exception","msg":"LoginError: pdbridge:`+testPassword+` rejected"}}`))
	_, err := c.Get(context.Background(), "e1")
	if err == nil || strings.Contains(err.Error(), testPassword) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("the password must be scrubbed from server text: %v", err)
	}
	c, _ = cannedClient(t, writeBody("text/plain", 502, "upstream said: Authorization: Basic cGRicmlkZ2U6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5"))
	_, err = c.Get(context.Background(), "e1")
	if err == nil || strings.Contains(err.Error(), "cGRicmlkZ2U6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5") {
		t.Fatalf("the encoded credentials must be scrubbed: %v", err)
	}
}

// A console answering garbage gets a clear error from every method, and
// the adapter acts on nothing it could not read: one request per call, no
// follow-up, no partial results.
func TestGarbageConsole(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":                            "\x00\x01garbage\xff",
		"JSON, not Zenoss":                    `{"hello": ["world"]}`,
		"success without the method's fields": `{"result":{"success":true}}`,
		"fields of the wrong type":            `{"result":{"success":true,"events":{"a":1},"totalCount":"many","data":{"updated":"yes"},"event":[1,2]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, cn := cannedClient(t, writeBody(jsonType, 200, body))
			ctx := context.Background()
			check := func(op, method string, err error) {
				t.Helper()
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "EventsRouter."+method) {
					t.Errorf("%s: want a malformed-response error naming %s, got %v", op, method, err)
				}
			}
			page, err := c.List(ctx, source.ListOptions{})
			check("List", "query", err)
			if len(page.Events) > 0 || page.Next != "" {
				t.Errorf("List returned %+v", page)
			}
			ev, err := c.Get(ctx, "e1")
			check("Get", "detail", err)
			if ev.ID != "" {
				t.Errorf("Get returned %+v", ev)
			}
			for op, f := range map[string]func(context.Context, string) (bool, error){"acknowledge": c.Acknowledge, "close": c.Close, "reopen": c.Reopen} {
				changed, err := f(ctx, "e1")
				check(op, op, err)
				if changed {
					t.Errorf("%s reported a change", op)
				}
			}
			if n := cn.total(); n != 5 {
				t.Errorf("made %d requests for 5 calls: the adapter acted on garbage", n)
			}
			if n := cn.count("detail"); n != 1 {
				t.Errorf("detail was called %d times: a transition followed up on an unreadable answer", n)
			}
		})
	}
}
