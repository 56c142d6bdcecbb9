package pagerduty

import (
	"crypto/sha256"
	"sync"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// PagerDuty allows 960 REST requests a minute per API key (REST API docs,
// Rate Limits). pdbridge spends at most 900 a minute on average and 40 at
// once, so that no minute holds more than 940 of its requests, and it stops
// when PagerDuty reports 10 or fewer left (the most Terraform has in flight
// by default), as another process with the same key may be spending them.
const (
	DefaultRequestsPerMinute = 900
	burstPerMinute           = 40.0 / DefaultRequestsPerMinute
	reserve                  = 10
)

// pacers holds one Pacer per API root and token, shared by every Client of
// the process: Terraform configures the provider once per run, but a
// process may hold several configurations (aliases, tests) with one token.
var pacers = struct {
	sync.Mutex
	m map[[sha256.Size]byte]*httpretry.Pacer
}{m: map[[sha256.Size]byte]*httpretry.Pacer{}}

// pacerFor returns the Pacer of a token on an API root, made with
// perMinute the first time it is asked for. Tokens are kept hashed: the
// map outlives the clients.
func pacerFor(apiURL, token string, perMinute int) *httpretry.Pacer {
	key := sha256.Sum256([]byte(apiURL + "\x00" + token))
	pacers.Lock()
	defer pacers.Unlock()
	p := pacers.m[key]
	if p == nil {
		p = httpretry.NewPacer(perMinute, int(float64(perMinute)*burstPerMinute), reserve)
		pacers.m[key] = p
	}
	return p
}
