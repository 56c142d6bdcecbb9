package pagerduty

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is a REST error, written as PagerDuty's envelope
// {"error": {"message", "code", "errors"}}.
type apiError struct {
	Status  int
	Code    int
	Message string
	Errors  []string
}

func (e *apiError) body() map[string]any {
	inner := map[string]any{"message": e.Message}
	if e.Code != 0 {
		inner["code"] = e.Code
	}
	if len(e.Errors) > 0 {
		inner["errors"] = e.Errors
	}
	return map[string]any{"error": inner}
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, e.body())
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Error codes from PagerDuty's REST docs (Errors page) and observed traffic.
const (
	codeAlreadyResolved     = 1001
	codeAlreadyAcknowledged = 1002
	codeInvalidStatus       = 1003
	codeRequesterNotFound   = 1008
	codeMalformedFrom       = 1028
	codeInvalidInput        = 2001
	codeArgumentsError      = 2002
	codeMissingArguments    = 2003
	codeInvalidTimes        = 2004
	codeInvalidDateRange    = 2005
	codeFromRequired        = 2016
	codeRateLimited         = 2020
	codeNotFound            = 2100
	codeWindowInPast        = 5003
)

func errInvalid(msgs ...string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeInvalidInput, Message: "Invalid Input Provided", Errors: msgs}
}

func errNotFound() *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: "Not Found"}
}

func errRateLimited() *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: codeRateLimited, Message: "Rate Limit Exceeded"}
}

// writeInjectedError is the fault injector's error writer: PagerDuty's REST
// envelope on REST routes and the Events API's body shape on /v2/ routes.
func (s *Server) writeInjectedError(w http.ResponseWriter, _ *http.Request, route string, status int) {
	if isEventsRoute(route) {
		switch status {
		case http.StatusTooManyRequests:
			writeJSON(w, status, map[string]any{"status": "throttle event",
				"message": "Requests for this service are arriving too quickly.  Please retry later."})
		default:
			writeJSON(w, status, map[string]any{"status": "error", "message": "Internal server error",
				"errors": []string{http.StatusText(status)}})
		}
		return
	}
	if status == http.StatusTooManyRequests {
		writeAPIError(w, errRateLimited())
		return
	}
	writeAPIError(w, &apiError{Status: status, Message: http.StatusText(status)})
}

func isEventsRoute(route string) bool {
	_, path, _ := strings.Cut(route, " ")
	return strings.HasPrefix(path, "/v2/")
}
