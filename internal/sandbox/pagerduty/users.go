package pagerduty

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"sort"
	"strings"
	"time"
)

type user struct {
	id, name, email, role string
	timeZone              string
	createdAt             time.Time
}

// User is an account user for Options.Users and AddUser.
type User struct {
	Name, Email string
}

// ref renders a user reference. Its summary is the user's name, as
// PagerDuty renders it (captured payloads), not the email: a client cannot
// recognise its own writes by the summary.
func (u *user) ref() ref {
	return ref{ID: u.id, Type: "user_reference", Summary: u.name, Path: "/users/" + u.id, HTMLPath: "/users/" + u.id}
}

func (u *user) render(base string) map[string]any {
	return map[string]any{
		"id": u.id, "type": "user", "summary": u.name, "self": base + "/users/" + u.id,
		"html_url": base + "/users/" + u.id, "name": u.name, "email": u.email,
		"time_zone": u.timeZone, "color": "purple", "role": u.role, "job_title": "",
		"invitation_sent": false, "teams": []any{}, "contact_methods": []any{}, "notification_rules": []any{},
	}
}

func (st *state) addUser(u *user) {
	st.users[u.id] = u
	st.usersByEmail[strings.ToLower(u.email)] = u
	st.userOrder = append(st.userOrder, u.id)
}

// fromUser resolves the From header, which PagerDuty requires on incident,
// note and maintenance window writes: "The email address of a valid user
// associated with the account making the request" (spec: from_header). An
// address no user of the account has is refused as PagerDuty refuses an
// unknown requester ("Requester User Not Found", code 1008, seen in
// dropbox/pygerduty#64); it never creates a user.
func (c *reqCtx) fromUser() (*user, *apiError) {
	from := strings.TrimSpace(c.r.Header.Get("From"))
	if from == "" {
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeFromRequired,
			Message: `You must specify a user's email address in the "From" header to perform this action`}
	}
	addr, err := mail.ParseAddress(from)
	if err != nil || addr.Name != "" || !strings.Contains(addr.Address, "@") {
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeMalformedFrom, Message: `Malformed "From" header`}
	}
	if u := c.st.usersByEmail[strings.ToLower(addr.Address)]; u != nil {
		return u, nil
	}
	return nil, &apiError{Status: http.StatusBadRequest, Code: codeRequesterNotFound, Message: "Requester User Not Found",
		Errors: []string{"No user with the email in the From header exists in this account"}}
}

// addUser adds an account user; the email must be new.
func (st *state) newUser(name, email, zone string, now time.Time) (*user, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return nil, fmt.Errorf("%q is not an email address", email)
	}
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("a user needs a name")
	}
	if st.usersByEmail[strings.ToLower(email)] != nil {
		return nil, fmt.Errorf("a user with email %q exists", email)
	}
	u := &user{id: st.newID("PUSR"), name: name, email: email, role: "user", timeZone: zone, createdAt: now}
	st.addUser(u)
	return u, nil
}

// AddUser adds a user to the account (writes may then name its email as
// From) and returns its ID. Users added so are dropped by Reset; those in
// Options.Users are not.
func (s *Server) AddUser(name, email string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.st.newUser(name, email, s.accountZone().String(), s.now())
	if err != nil {
		return "", err
	}
	return u.id, nil
}

type escalationPolicy struct {
	id, name, description string
	userID                string // the single target of its single rule
	ruleID                string
}

func (p *escalationPolicy) ref() ref {
	return ref{ID: p.id, Type: "escalation_policy_reference", Summary: p.name,
		Path: "/escalation_policies/" + p.id, HTMLPath: "/escalation_policies/" + p.id}
}

func (st *state) renderPolicy(p *escalationPolicy, base string) map[string]any {
	var services []any
	ids := make([]string, 0)
	for id, svc := range st.services {
		if svc.epID == p.id {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		services = append(services, st.services[id].ref().render(base))
	}
	if services == nil {
		services = []any{}
	}
	target := st.users[p.userID].ref()
	return map[string]any{
		"id": p.id, "type": "escalation_policy", "summary": p.name,
		"self": base + "/escalation_policies/" + p.id, "html_url": base + "/escalation_policies/" + p.id,
		"name": p.name, "description": p.description, "num_loops": 0, "on_call_handoff_notifications": "if_has_services",
		"escalation_rules": []any{map[string]any{
			"id": p.ruleID, "escalation_delay_in_minutes": 30,
			"targets": []any{map[string]any{"id": target.ID, "type": "user_reference", "summary": target.Summary,
				"self": base + target.Path, "html_url": base + target.HTMLPath}},
		}},
		"services": services, "teams": []any{},
	}
}

func getCurrentUser(c *reqCtx) (int, any, *apiError) {
	return http.StatusOK, map[string]any{"user": c.st.users[seedUserID].render(c.base)}, nil
}

// listUsers is GET /users: query matches names and emails by substring
// (case-insensitive), paged; the sandbox has no teams.
func listUsers(c *reqCtx) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	query := strings.ToLower(c.r.URL.Query().Get("query"))
	var list []*user
	if len(queryList(c, "team_ids")) == 0 {
		for _, id := range c.st.userOrder {
			u := c.st.users[id]
			if query == "" || strings.Contains(strings.ToLower(u.name), query) || strings.Contains(strings.ToLower(u.email), query) {
				list = append(list, u)
			}
		}
	}
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, u := range list[lo:hi] {
		items = append(items, u.render(c.base))
	}
	return http.StatusOK, pg.list("users", items, len(list)), nil
}

func getUser(c *reqCtx) (int, any, *apiError) {
	u := c.st.users[c.r.PathValue("id")]
	if u == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, map[string]any{"user": u.render(c.base)}, nil
}

func listEscalationPolicies(c *reqCtx) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	query := strings.ToLower(c.r.URL.Query().Get("query"))
	ids := make([]string, 0, len(c.st.policies))
	for id, p := range c.st.policies {
		if query == "" || strings.Contains(strings.ToLower(p.name), query) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return c.st.policies[ids[i]].name < c.st.policies[ids[j]].name })
	items := []any{}
	lo, hi := pg.bounds(len(ids))
	for _, id := range ids[lo:hi] {
		items = append(items, c.st.renderPolicy(c.st.policies[id], c.base))
	}
	return http.StatusOK, pg.list("escalation_policies", items, len(ids)), nil
}

func getEscalationPolicy(c *reqCtx) (int, any, *apiError) {
	p := c.st.policies[c.r.PathValue("id")]
	if p == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, map[string]any{"escalation_policy": c.st.renderPolicy(p, c.base)}, nil
}

// listAbilities returns the abilities of a full-featured account; the
// official Terraform provider calls it to check credentials.
func listAbilities(*reqCtx) (int, any, *apiError) {
	return http.StatusOK, map[string]any{"abilities": []string{
		"sso", "advanced_reports", "teams", "read_only_users", "team_responders", "service_support_hours",
		"urgencies", "manage_schedules", "manage_api_keys", "coordinated_responding", "event_rules",
		"event_orchestration", "preview_incident_alert_grouping", "response_plays", "conference_bridge",
	}}, nil
}
