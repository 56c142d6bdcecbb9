package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
)

// A router as PagerDuty returns it, with a rule using fields this client
// does not model, and a catch-all to a service.
const routerDoc = `{"orchestration_path": {
  "type": "router",
  "parent": {"id": "ORCH1", "type": "event_orchestration_reference"},
  "sets": [{"id": "start", "rules": [
    {"id": "dyn1", "label": "dynamic", "actions": {"dynamic_route_to": {"source": "event.custom_details.svc", "regex": ".*", "lookup_by": "service_name"}}},
    {"id": "r1", "label": "db", "disabled": false, "conditions": [{"expression": "event.source matches part 'db'"}], "actions": {"route_to": "PDB", "some_future_action": {"x": [1, 2]}}, "future_key": "kept"}
  ]}],
  "catch_all": {"actions": {"route_to": "PDEFAULT"}},
  "version": "v3"
}}`

func TestRouterReadModifyWriteKeepsWhatItDoesNotModel(t *testing.T) {
	var put []byte
	var puts atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/event_orchestrations/ORCH1/router" {
			t.Errorf("path %s", r.URL.Path)
		}
		switch r.Method {
		case "GET":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, routerDoc)
		case "PUT":
			puts.Add(1)
			put, _ = io.ReadAll(r.Body)
			// PagerDuty answers with the router and a warnings array next to
			// it, which go-pagerduty v1.8.0 cannot decode.
			var doc map[string]any
			_ = json.Unmarshal([]byte(routerDoc), &doc)
			doc["warnings"] = []any{map[string]any{"rule_id": "dyn1", "feature": "dynamic_route_to", "feature_type": "actions", "warning_type": "forbidden_feature", "message": "Dynamic routing is not available on your plan"}}
			writeJSON(w, 200, doc)
		}
	}))
	ctx := context.Background()

	// No change: nothing is written.
	r, warnings, err := c.ModifyRouter(ctx, "ORCH1", func(*Router) error { return nil })
	if err != nil || warnings != nil || puts.Load() != 0 {
		t.Fatalf("unchanged router: %v %v, %d PUTs", warnings, err, puts.Load())
	}
	if r.CatchAllRouteTo != "PDEFAULT" || len(r.Rules) != 2 || !r.Rules[0].DynamicRouteTo || r.Rules[1].RouteTo != "PDB" ||
		!slices.Equal(r.Rules[1].Conditions, []string{"event.source matches part 'db'"}) {
		t.Fatalf("decoded router %+v", r)
	}

	_, warnings, err = c.ModifyRouter(ctx, "ORCH1", func(r *Router) error {
		r.Rules = append(r.Rules, RouterRule{Label: "new", Conditions: []string{"event.source exists"}, RouteTo: "PNEW"})
		r.Rules[1].Label = "db (renamed)"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || warnings[0].String() != "rule dyn1: Dynamic routing is not available on your plan" {
		t.Fatalf("warnings %+v", warnings)
	}
	var sent struct {
		Path struct {
			Sets []struct {
				Rules []json.RawMessage `json:"rules"`
			} `json:"sets"`
			CatchAll json.RawMessage `json:"catch_all"`
		} `json:"orchestration_path"`
	}
	if err := json.Unmarshal(put, &sent); err != nil || len(sent.Path.Sets) != 1 {
		t.Fatalf("PUT body %s: %v", put, err)
	}
	rules := sent.Path.Sets[0].Rules
	want := []string{
		`{"actions":{"dynamic_route_to":{"lookup_by":"service_name","regex":".*","source":"event.custom_details.svc"}},"id":"dyn1","label":"dynamic"}`,
		`{"actions":{"route_to":"PDB","some_future_action":{"x":[1,2]}},"conditions":[{"expression":"event.source matches part 'db'"}],"disabled":false,"future_key":"kept","id":"r1","label":"db (renamed)"}`,
		`{"actions":{"route_to":"PNEW"},"conditions":[{"expression":"event.source exists"}],"disabled":false,"label":"new"}`,
	}
	if len(rules) != len(want) {
		t.Fatalf("sent %d rules, want %d", len(rules), len(want))
	}
	for i, r := range rules {
		if got := compact(t, r); got != want[i] {
			t.Errorf("rule %d sent as\n%s\nwant\n%s", i, got, want[i])
		}
	}
	if got := compact(t, sent.Path.CatchAll); got != `{"actions":{"route_to":"PDEFAULT"}}` {
		t.Errorf("catch_all sent as %s", got)
	}
}

// compact re-encodes JSON with sorted keys and no spaces.
func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRouterErrorsAreTyped(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, map[string]any{"error": map[string]any{"code": 2100, "message": "Not Found"}})
	}))
	_, _, err := c.ModifyRouter(context.Background(), "NOPE", func(*Router) error { t.Error("mutate called"); return nil })
	if !IsNotFound(err) {
		t.Fatalf("want a not-found error, got %v", err)
	}
}

func startSandbox(t *testing.T) (*pdsandbox.Server, *Client) {
	t.Helper()
	sb := pdsandbox.New(pdsandbox.Options{Token: "tok"})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c, err := New(Config{Token: "tok", UserEmail: "bridge@example.com", APIURL: srv.URL, EventsURL: srv.URL, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

func TestOrchestrationAndRouterAgainstTheSandbox(t *testing.T) {
	sb, c := startSandbox(t)
	ctx := context.Background()
	svc, err := c.CreateService(ctx, "Unix team", "", sb.DefaultEscalationPolicyID())
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.CreateOrchestration(ctx, "Zenoss", "routing")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.RoutingKeys) != 1 || len(o.RoutingKeys[0]) != 32 {
		t.Fatalf("orchestration %+v", o)
	}
	got, err := c.GetOrchestration(ctx, o.ID)
	if err != nil || got.Name != "Zenoss" || !slices.Equal(got.RoutingKeys, o.RoutingKeys) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	stored, _, err := c.ModifyRouter(ctx, o.ID, func(r *Router) error {
		r.Rules = append(r.Rules, RouterRule{Label: "unix", Conditions: []string{"event.source matches part 'lin'"}, RouteTo: svc.ID})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Rules) != 1 || stored.Rules[0].ID == "" || stored.CatchAllRouteTo != UnroutedServiceID {
		t.Fatalf("stored %+v", stored)
	}
	// PagerDuty's own validation errors come back as *Error.
	_, _, err = c.ModifyRouter(ctx, o.ID, func(r *Router) error {
		r.Rules[0].RouteTo = "PNOSUCH"
		return nil
	})
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 {
		t.Fatalf("bad route_to: %v", err)
	}
	if err := c.DeleteOrchestration(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRouter(ctx, o.ID); !IsNotFound(err) {
		t.Fatalf("router of a deleted orchestration: %v", err)
	}
	ints, err := c.ServiceEventsV2Integrations(ctx, svc.ID)
	if err != nil || len(ints) != 0 {
		t.Fatalf("integrations of a new service: %v %v", ints, err)
	}
	i, err := c.CreateEventsV2Integration(ctx, svc.ID, "Zenoss")
	if err != nil {
		t.Fatal(err)
	}
	ints, err = c.ServiceEventsV2Integrations(ctx, svc.ID)
	if err != nil || len(ints) != 1 || ints[0].ID != i.ID || ints[0].ServiceID != svc.ID {
		t.Fatalf("integrations: %+v %v", ints, err)
	}
}

// Without the per-router lock, writers that read the same version of the
// router overwrite each other's rules.
func TestConcurrentRouterWritersKeepEveryRule(t *testing.T) {
	sb, c := startSandbox(t)
	ctx := context.Background()
	svc, err := c.CreateService(ctx, "s", "", sb.DefaultEscalationPolicyID())
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.CreateOrchestration(ctx, "shared", "")
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.ModifyRouter(ctx, o.ID, func(r *Router) error {
				r.Rules = append(r.Rules, RouterRule{Label: fmt.Sprintf("writer %d", i), Conditions: []string{"event.source exists"}, RouteTo: svc.ID})
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.GetRouter(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rules) != writers {
		t.Fatalf("router has %d rules, want %d: concurrent writes were lost", len(r.Rules), writers)
	}
}
