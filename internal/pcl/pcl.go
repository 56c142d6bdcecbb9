// Package pcl parses, evaluates and prints PagerDuty Condition Language
// (PCL) expressions, the conditions of Event Orchestration rules.
//
// Supported: paths rooted at event or raw_event (dot, ['key'] and [0]
// forms); string, integer, float, true, false and nil literals; the
// operators matches, matches part, matches regex (each with an optional
// exactly), exists, ==, !=, <, <=, >, >=; and, or, not and parentheses.
//
// Keywords are accepted in any case and printed in lowercase; the roots
// event and raw_event are case-sensitive. Strings are single-quoted with the
// escapes \' and \\; any other backslash stays a backslash, so '\d+' is
// the regex \d+. Double-quoted strings are rejected: PCL has none.
//
// Not supported, and rejected with a SyntaxError that says so: datetime,
// duration and schedule literals, now, in, trigger_count and
// resetting_trigger_count.
//
// Evaluation follows PagerDuty's PCL Overview: a missing path is nil;
// matches operators turn numbers, booleans, objects and lists into strings
// and are false on nil; ==, <, <=, > and >= do no conversion, so comparing
// a string with a number is false, and < on two strings is false. != is not
// in PagerDuty's documentation; here it is exactly not ==.
package pcl

import (
	"fmt"
	"strings"
)

// Expr is a parsed condition. The zero value is not valid. An Expr is
// immutable, so it is safe for concurrent use.
type Expr struct {
	root node
}

// Parse parses a PCL condition. Errors are *SyntaxError.
func Parse(src string) (*Expr, error) {
	root, err := parse(src)
	if err != nil {
		return nil, err
	}
	return &Expr{root: root}, nil
}

// MustParse is Parse that panics on error, for constants and tests.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic(fmt.Sprintf("pcl.MustParse(%q): %v", src, err))
	}
	return e
}

// String prints the condition canonically: lowercase keywords, single
// spaces, dot form for keys that are identifiers and only the parentheses
// precedence needs. Parse(e.String()) yields a tree Equal to e.
func (e *Expr) String() string {
	if e == nil || e.root == nil {
		return ""
	}
	var b strings.Builder
	printNode(&b, e.root)
	return b.String()
}

// Equal reports whether e and o have the same tree. Nested and/or are
// flattened at parse time, so (a and b) and c equals a and (b and c).
func (e *Expr) Equal(o *Expr) bool {
	if e == nil || o == nil {
		return e == o
	}
	if e.root == nil || o.root == nil {
		return e.root == o.root
	}
	return equalNode(e.root, o.root)
}

// Input is what a condition is evaluated against.
type Input struct {
	// Event holds the PD-CEF event fields as decoded JSON: "summary",
	// "severity", "source", "component", "group", "class",
	// "custom_details" (map[string]any), ...
	Event map[string]any
	// RawEvent is the event body as received, for raw_event.* paths. It
	// may be nil.
	RawEvent map[string]any
}

// Eval reports whether the condition holds for in. As in PagerDuty, an
// operation that cannot apply to its values (nil, wrong types) is false.
func (e *Expr) Eval(in Input) bool {
	if e == nil || e.root == nil {
		return false
	}
	return evalNode(e.root, in)
}

// Paths lists the paths the expression reads, canonically printed, in
// order of first appearance and without duplicates.
func (e *Expr) Paths() []string {
	if e == nil || e.root == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	walkPaths(e.root, func(p path) {
		s := p.String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	})
	return out
}

// SyntaxError is a parse error. Column is 1-based and counts runes from
// the start of the input; a newline counts as one rune, like any other.
type SyntaxError struct {
	Column   int
	Expected string // what the parser wanted, e.g. "')'"; may be empty
	Found    string // the token found, e.g. "'foo'" or "end of input"
	Msg      string // a full explanation when expected/found is not enough
}

func (e *SyntaxError) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
	}
	return fmt.Sprintf("column %d: expected %s, found %s", e.Column, e.Expected, e.Found)
}
