package pagerduty

import (
	"encoding/json"
	"net/http"
)

// adminRoutes serves the sandbox's own controls under /_sandbox/, without
// auth. They are deliberately not wrapped in the fault injector: faults
// switched on for every route must not lock out the means to clear them.
func (s *Server) adminRoutes() {
	s.mux.Handle("/_sandbox/faults", s.faults.AdminHandler())
	s.mux.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /_sandbox/counts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"requests": s.faults.Counts(), "total": s.faults.Total(),
			"injected": s.faults.Injected(), "objects": s.objectCounts()})
	})
	s.mux.HandleFunc("GET /_sandbox/change_events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"change_events": orEmpty(s.ChangeEvents())})
	})
	s.mux.HandleFunc("GET /_sandbox/events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"events": orEmpty(s.Events())})
	})
	// Users: PagerDuty refuses a From header naming no user of the account,
	// so scripts add the users they write as.
	s.mux.HandleFunc("POST /_sandbox/users", func(w http.ResponseWriter, r *http.Request) {
		var in User
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body must be {\"name\": ..., \"email\": ...}"})
			return
		}
		id, err := s.AddUser(in.Name, in.Email)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": id, "name": in.Name, "email": in.Email})
	})
	s.mux.HandleFunc("GET /_sandbox/unrouted_events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"events": orEmpty(s.UnroutedEvents())})
	})
}

func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// objectCounts reports how many objects of each kind the sandbox holds.
func (s *Server) objectCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.advance(s.now())
	open := 0
	for _, inc := range s.st.incidents {
		if inc.open() {
			open++
		}
	}
	return map[string]int{
		"users": len(s.st.users), "escalation_policies": len(s.st.policies), "services": len(s.st.services),
		"integrations": len(s.st.integrations), "incidents": len(s.st.incidents), "open_incidents": open,
		"log_entries": len(s.st.logEntries), "maintenance_windows": len(s.st.windows),
		"event_orchestrations": len(s.st.orchestrations), "change_events": len(s.st.changeEvents),
		"events": len(s.st.events), "queued_events": len(s.st.queued), "alerts": len(s.st.alerts),
	}
}
