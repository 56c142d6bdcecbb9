package pagerduty

import (
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/getkin/kin-openapi/routers/legacy"
)

func TestProbe(t *testing.T) {
	_ = pagerduty.NewClient
	_ = openapi3.NewLoader
	_ = openapi3filter.ValidateRequest
	_ = gorillamux.NewRouter
	_ = legacy.NewRouter
}
