package routing

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pcl"
)

// Publishing puts a transform's rules into an Event Orchestration's router,
// which PagerDuty stores as one document shared by everything that routes
// through the orchestration. Several transforms may publish into one router
// without overwriting each other:
//
//   - each published rule's label carries an ownership marker,
//     "[pdbridge:PRIORITY:TRANSFORM_ID] label", so a transform finds its own
//     rules (its block) and nobody else's;
//   - blocks are ordered by priority, then transform id, and each keeps its
//     rules in the transform's order;
//   - rules without a marker (made by hand or by other tools) are never
//     changed: they go after every pdbridge block, in their own order, except
//     a dynamic_route_to rule, which PagerDuty only accepts first and so
//     stays first;
//   - a rule's condition is published verbatim as its only condition, and
//     route_to becomes the connector's service;
//   - a catch_all is published as the block's last rule, with no conditions
//     (so it always matches): it ends the block and shadows every rule after
//     it (see RulesAfterCatchAll). Without one, unmatched events fall through
//     to the next block and finally to the router's own catch-all, which
//     pdbridge never changes.

// Priorities of a published block.
const (
	DefaultPriority = 100
	MinPriority     = 0
	MaxPriority     = 9999
)

var markerRE = regexp.MustCompile(`(?s)^\[pdbridge:(\d{1,4}):([A-Za-z0-9][A-Za-z0-9-]*)\] ?(.*)$`)

// transformIDRE is what a transform id looks like (pdbridge makes UUIDs).
var transformIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)

// ValidTransformID reports whether id can be a transform id.
func ValidTransformID(id string) bool { return transformIDRE.MatchString(id) }

// OwnedLabel is the router label of a rule published by a transform.
func OwnedLabel(priority int64, transformID, label string) string {
	return fmt.Sprintf("[pdbridge:%d:%s] %s", priority, transformID, label)
}

// ParseOwnedLabel reads a published rule's label; ok is false for a label
// without a pdbridge marker.
func ParseOwnedLabel(s string) (priority int64, transformID, label string, ok bool) {
	m := markerRE.FindStringSubmatch(s)
	if m == nil {
		return 0, "", "", false
	}
	p, _ := strconv.ParseInt(m[1], 10, 64)
	return p, m[2], m[3], true
}

// Publish returns the router rules of a transform: route targets are the
// connectors' services. The transform must pass Check with publishing set.
func Publish(t Transform, transformID string, priority int64) ([]pagerduty.RouterRule, error) {
	if errs := Check(t, true, AllKnown); len(errs) > 0 {
		return nil, errs[0]
	}
	var out []pagerduty.RouterRule
	for _, r := range t.Rules {
		svc, _, _ := SplitConnectorID(r.RouteTo)
		out = append(out, pagerduty.RouterRule{Label: OwnedLabel(priority, transformID, r.Label), Conditions: []string{r.Condition}, RouteTo: svc})
	}
	if t.CatchAll != nil {
		svc, _, _ := SplitConnectorID(t.CatchAll.RouteTo)
		out = append(out, pagerduty.RouterRule{Label: OwnedLabel(priority, transformID, CatchAllLabel), RouteTo: svc})
	}
	return out, nil
}

// Place returns the router's rules with transformID's block replaced by own
// (nil removes it), laid out as described above. A rule of own keeps the
// PagerDuty ID of the block's old rule with the same label, if any.
func Place(current []pagerduty.RouterRule, transformID string, priority int64, own []pagerduty.RouterRule) []pagerduty.RouterRule {
	type block struct {
		priority int64
		id       string
		rules    []pagerduty.RouterRule
	}
	var head, tail []pagerduty.RouterRule
	var blocks []*block
	byID := map[string]*block{}
	oldIDs := map[string][]string{} // label -> PagerDuty rule IDs of our old rules
	for i, r := range current {
		p, tid, label, ok := ParseOwnedLabel(r.Label)
		switch {
		case ok && tid == transformID:
			oldIDs[label] = append(oldIDs[label], r.ID)
		case ok:
			b := byID[tid]
			if b == nil {
				b = &block{priority: p, id: tid}
				byID[tid] = b
				blocks = append(blocks, b)
			}
			b.rules = append(b.rules, r)
		case r.DynamicRouteTo && i == 0:
			head = append(head, r) // PagerDuty takes dynamic_route_to only in the first rule
		default:
			tail = append(tail, r)
		}
	}
	if len(own) > 0 {
		mine := &block{priority: priority, id: transformID}
		for _, r := range own {
			_, _, label, _ := ParseOwnedLabel(r.Label)
			if ids := oldIDs[label]; len(ids) > 0 {
				r.ID, oldIDs[label] = ids[0], ids[1:]
			} else {
				r.ID = ""
			}
			mine.rules = append(mine.rules, r)
		}
		blocks = append(blocks, mine)
	}
	slices.SortStableFunc(blocks, func(a, b *block) int {
		return cmp.Or(cmp.Compare(a.priority, b.priority), strings.Compare(a.id, b.id))
	})
	out := slices.Clone(head)
	for _, b := range blocks {
		out = append(out, b.rules...)
	}
	return append(out, tail...)
}

// RulesAfterCatchAll counts the enabled rules after transformID's published
// catch-all, which can then never match an event.
func RulesAfterCatchAll(rules []pagerduty.RouterRule, transformID string) int {
	for i, r := range rules {
		if _, tid, label, ok := ParseOwnedLabel(r.Label); ok && tid == transformID && label == CatchAllLabel && len(r.Conditions) == 0 && !r.Disabled {
			n := 0
			for _, after := range rules[i+1:] {
				if !after.Disabled {
					n++
				}
			}
			return n
		}
	}
	return 0
}

// ShadowingCatchAll returns the id of another transform whose published
// catch-all comes before transformID's first rule, so that none of
// transformID's rules can match; ok is false when there is none.
func ShadowingCatchAll(rules []pagerduty.RouterRule, transformID string) (otherID string, ok bool) {
	for _, r := range rules {
		_, tid, label, owned := ParseOwnedLabel(r.Label)
		switch {
		case owned && tid == transformID:
			return "", false
		case owned && label == CatchAllLabel && len(r.Conditions) == 0 && !r.Disabled:
			return tid, true
		}
	}
	return "", false
}

// Owned returns transformID's rules in router order.
func Owned(rules []pagerduty.RouterRule, transformID string) []pagerduty.RouterRule {
	var out []pagerduty.RouterRule
	for _, r := range rules {
		if _, tid, _, ok := ParseOwnedLabel(r.Label); ok && tid == transformID {
			out = append(out, r)
		}
	}
	return out
}

// Rebuilt is a transform as its published rules say it is.
type Rebuilt struct {
	Transform Transform
	// Prev maps each rebuilt rule to the rule of the previous transform it
	// corresponds to (by label), or -1: callers keep what the router cannot
	// hold from there.
	Prev     []int
	Priority int64 // from the markers; 0 when there are no rules
}

// Rebuild reconstructs a transform from its published rules (as Owned
// returns them), for drift detection and import. Where the router says the
// same as prev in other words, prev's wording is kept, so that only real
// differences show: a condition PCL reads the same, a connector on the same
// service. Otherwise:
//   - a rule disabled in PagerDuty counts as removed (it routes nothing);
//   - several conditions (PagerDuty ORs them) become "(a) or (b)";
//   - a route to a service is mapped to a connector of prev on that service,
//     else to connectorFor(service) (may be nil or return ""), else left as
//     the bare service id, which no configuration can equal.
func Rebuild(owned []pagerduty.RouterRule, prev Transform, connectorFor func(serviceID string) string) Rebuilt {
	out := Rebuilt{Transform: Transform{Rules: []Rule{}}}
	prevByLabel := map[string][]int{}
	connectorOf := map[string]string{} // service -> a connector of prev on it
	for i, r := range prev.Rules {
		prevByLabel[r.Label] = append(prevByLabel[r.Label], i)
		if svc, _, err := SplitConnectorID(r.RouteTo); err == nil && connectorOf[svc] == "" {
			connectorOf[svc] = r.RouteTo
		}
	}
	if prev.CatchAll != nil {
		if svc, _, err := SplitConnectorID(prev.CatchAll.RouteTo); err == nil && connectorOf[svc] == "" {
			connectorOf[svc] = prev.CatchAll.RouteTo
		}
	}
	connector := func(service, preferred string) string {
		if svc, _, err := SplitConnectorID(preferred); err == nil && svc == service {
			return preferred
		}
		if c := connectorOf[service]; c != "" {
			return c
		}
		if connectorFor != nil {
			if c := connectorFor(service); c != "" {
				return c
			}
		}
		return service
	}
	for i, r := range owned {
		p, _, label, _ := ParseOwnedLabel(r.Label)
		if i == 0 {
			out.Priority = p
		}
		if r.Disabled {
			continue
		}
		if label == CatchAllLabel && len(r.Conditions) == 0 && i == len(owned)-1 {
			preferred := ""
			if prev.CatchAll != nil {
				preferred = prev.CatchAll.RouteTo
			}
			out.Transform.CatchAll = &CatchAll{RouteTo: connector(r.RouteTo, preferred)}
			continue
		}
		rule, from := Rule{Label: label}, -1
		if ids := prevByLabel[label]; len(ids) > 0 {
			from, prevByLabel[label] = ids[0], ids[1:]
			rule = prev.Rules[from]
		}
		rule.Condition = joinConditions(r.Conditions, rule.Condition)
		rule.RouteTo = connector(r.RouteTo, rule.RouteTo)
		if r.RouteTo == "" {
			rule.RouteTo = "" // e.g. dynamic routing set by hand: not a route pdbridge can express
		}
		out.Transform.Rules = append(out.Transform.Rules, rule)
		out.Prev = append(out.Prev, from)
	}
	return out
}

// joinConditions is the one condition equivalent to a rule's conditions
// (PagerDuty ORs them), worded as prev when PCL reads them the same.
func joinConditions(conds []string, prev string) string {
	joined := ""
	switch len(conds) {
	case 0:
		return "" // PagerDuty: always matches; no condition pdbridge writes is empty
	case 1:
		joined = conds[0]
	default:
		parts := make([]string, len(conds))
		for i, c := range conds {
			parts[i] = "(" + c + ")"
		}
		joined = strings.Join(parts, " or ")
	}
	if joined == prev {
		return prev
	}
	a, errA := pcl.Parse(joined)
	b, errB := pcl.Parse(prev)
	if errA == nil && errB == nil && a.Equal(b) {
		return prev
	}
	return joined
}
