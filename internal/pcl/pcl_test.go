package pcl

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// testEvent is a PD-CEF event as the Events API would decode it.
func testEvent() map[string]any {
	return map[string]any{
		"summary":   "Disk FULL on db01.prod",
		"source":    "db01.prod.example.com",
		"severity":  "critical",
		"component": "postgres",
		"group":     "prod-db",
		"class":     "disk",
		"dedup_key": "abc-123",
		"timestamp": "2024-05-01T10:00:00Z",
		"custom_details": map[string]any{
			"device_class": "/Server/Linux/RedHat",
			"host":         "DB01",
			"cpu":          97.5,
			"count":        float64(42),
			"count_str":    "42",
			"neg":          -5.5,
			"enabled":      true,
			"nothing":      nil,
			"a b":          "spaced",
			"it's":         "quoted key",
			"quote":        "it's",
			"path":         `C:\temp`,
			"log":          "line1\nline2",
			"tags":         []any{"db", "prod", map[string]any{"team": "dba"}},
			"nested":       map[string]any{"level1": map[string]any{"level2": "deep"}},
		},
	}
}

func testRaw() map[string]any {
	return map[string]any{
		"routing_key":  "R0UT1NG",
		"event_action": "trigger",
		"payload":      map[string]any{"summary": "raw summary", "severity": "warning"},
	}
}

func TestEval(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		// matches: whole value, case-insensitive unless exactly.
		{`event.severity matches 'critical'`, true},
		{`event.severity matches 'CRITICAL'`, true},
		{`event.severity matches 'crit'`, false},
		{`event.severity matches exactly 'CRITICAL'`, false},
		{`event.severity matches exactly 'critical'`, true},

		// matches part: substring.
		{`event.summary matches part 'disk full'`, true},
		{`event.summary matches part 'nowhere'`, false},
		{`event.summary matches part exactly 'disk full'`, false},
		{`event.summary matches part exactly 'Disk FULL'`, true},
		{`event.summary matches part ''`, true},

		// matches regex: RE2, unanchored, i unless exactly, s and m always.
		{`event.source matches regex 'db[0-9]+\\.prod'`, true},
		{`event.source matches regex 'db[0-9]+\.prod'`, true}, // lone backslash kept
		{`event.source matches regex 'prod'`, true},
		{`event.source matches regex '^prod'`, false},
		{`event.source matches regex 'DB01'`, true},
		{`event.source matches regex exactly 'DB01'`, false},
		{`event.source matches regex exactly '(?i)DB01'`, true}, // flags in the pattern win
		{`event.custom_details.log matches regex '^line2$'`, true},
		{`event.custom_details.log matches regex 'line1.line2'`, true},
		{`event.custom_details.log matches regex '(?-sm)^line2$'`, false},
		{`event.source matches regex 'example|nothing'`, true},
		{`event.source matches regex 'NOTHING|EXAMPLE'`, true}, // i covers every branch

		// exists: a nil value exists, a missing key does not.
		{`event.custom_details.nothing exists`, true},
		{`event.custom_details.missing exists`, false},
		{`not event.custom_details.errors exists`, true},
		{`event.summary exists`, true},

		// nested paths, brackets, indexes, raw_event.
		{`event.custom_details.nested.level1.level2 matches 'deep'`, true},
		{`event.custom_details.nested.level1.level3 exists`, false},
		{`event.custom_details['a b'] matches 'spaced'`, true},
		{`event['summary'] matches part 'disk'`, true},
		{`event.custom_details['it\'s'] == 'quoted key'`, true},
		{`event.custom_details.tags[1] == 'prod'`, true},
		{`event.custom_details.tags[2].team == 'dba'`, true},
		{`event.custom_details.tags[3] exists`, false},
		{`event.custom_details.tags[0].x exists`, false},
		{`event.custom_details[0] exists`, false},
		{`event.custom_details.tags.x exists`, false},
		{`raw_event.payload.summary matches 'raw summary'`, true},
		{`raw_event.routing_key exists and event.summary matches part 'full'`, true},
		{`raw_event.summary exists`, false},

		// Missing paths are nil; string operators on nil are false.
		{`event.custom_details.missing matches ''`, false},
		{`event.custom_details.missing matches part ''`, false},
		{`event.custom_details.missing matches regex '.*'`, false},
		{`not event.custom_details.missing matches 'x'`, true},
		{`event.custom_details.missing == nil`, true},
		{`event.custom_details.nothing == nil`, true},
		{`nil == nil`, true},
		{`event.summary == nil`, false},
		{`event.custom_details.missing != 'x'`, true},
		{`event.summary matches nil`, false},
		{`event.custom_details.missing > 1`, false},

		// == is case-sensitive and does not convert.
		{`event.severity == 'critical'`, true},
		{`event.severity == 'CRITICAL'`, false},
		{`event.severity != 'CRITICAL'`, true},
		{`event.custom_details.count == 42`, true},
		{`event.custom_details.count == 42.0`, true},
		{`event.custom_details.count != 41`, true},
		{`event.custom_details.count != 42`, false},
		{`event.custom_details.count_str == 42`, false},
		{`event.custom_details.count_str == '42'`, true},
		{`event.custom_details.enabled == true`, true},
		{`event.custom_details.enabled == 'true'`, false},
		{`event.custom_details.tags[2] == event.custom_details.tags[2]`, true},
		{`event.custom_details.tags == event.custom_details.nested`, false},

		// Ordering: numbers only.
		{`event.custom_details.cpu > 90`, true},
		{`event.custom_details.cpu >= 97.5`, true},
		{`event.custom_details.cpu < 97.5`, false},
		{`event.custom_details.cpu <= 97.5`, true},
		{`event.custom_details.neg < -1`, true},
		{`event.custom_details.neg > -5.0`, false},
		{`-1 > -2`, true},
		{`event.custom_details.count_str > 10`, false},
		{`event.summary < 'z'`, false},
		{`event.custom_details.enabled > 0`, false},

		// PagerDuty's documented int/float edge cases.
		{`9007199254740992 == 9007199254740993.0`, true},
		{`9007199254740992 == 9007199254740994.0`, false},
		{`3.0 == 3`, true},

		// matches converts numbers, booleans and lists to strings.
		{`event.custom_details.count matches '42'`, true},
		{`event.custom_details.count_str matches 42`, true},
		{`event.custom_details.cpu matches '97.5'`, true},
		{`event.custom_details.enabled matches 'TRUE'`, true},
		{`event.custom_details.tags matches part '"team":"dba"'`, true},

		// Either side may be a path or a literal.
		{`event.summary matches part event.custom_details.host`, true},
		{`event.summary matches part exactly event.custom_details.host`, false},
		{`event.summary matches part event.custom_details.missing`, false},
		{`'abc' matches part 'B'`, true},

		// Escapes.
		{`event.custom_details.quote matches 'it\'s'`, true},
		{`event.custom_details.path == 'C:\\temp'`, true},
		{`event.custom_details.path == 'C:\temp'`, true},

		// Precedence: built-ins > not > and > or.
		{`event.severity matches 'critical' or event.severity matches 'x' and event.class matches 'x'`, true},
		{`(event.severity matches 'critical' or event.severity matches 'x') and event.class matches 'x'`, false},
		{`not event.severity matches 'info' and event.class matches 'network'`, false},
		{`not (event.severity matches 'info' and event.class matches 'network')`, true},
		{`not not event.summary exists`, true},

		// Keywords in any case.
		{`event.severity MATCHES PART 'CRIT' AND NOT event.x EXISTS`, true},
		{`event.severity Matches Exactly 'critical' Or False`, true},

		// Bare booleans.
		{`true`, true},
		{`false`, false},
		{`not true`, false},
		{`false or true`, true},
		{`true and false`, false},
	}
	in := Input{Event: testEvent(), RawEvent: testRaw()}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := e.Eval(in); got != tt.want {
			t.Errorf("Eval(%q) = %v, want %v", tt.src, got, tt.want)
		}
		// The printed form must behave the same.
		if got := MustParse(e.String()).Eval(in); got != tt.want {
			t.Errorf("Eval(%q) printed as %q = %v, want %v", tt.src, e.String(), got, tt.want)
		}
	}
}

func TestEvalNilRawEvent(t *testing.T) {
	in := Input{Event: testEvent()}
	for src, want := range map[string]bool{
		`raw_event.payload exists`:       false,
		`raw_event.payload == nil`:       true,
		`not raw_event.payload.x exists`: true,
		`event.summary exists`:           true,
	} {
		if got := MustParse(src).Eval(in); got != want {
			t.Errorf("Eval(%q) with nil RawEvent = %v, want %v", src, got, want)
		}
	}
	if MustParse(`event.summary exists`).Eval(Input{}) {
		t.Error("event.summary exists on an empty Input = true, want false")
	}
}

// TestEvalInputTypes feeds values that did not come from json.Unmarshal
// into map[string]any.
func TestEvalInputTypes(t *testing.T) {
	var decoded map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"custom_details":{"n":12,"f":1.5,"big":9007199254740993}}`))
	dec.UseNumber()
	if err := dec.Decode(&decoded); err != nil {
		t.Fatal(err)
	}
	in := Input{
		Event: map[string]any{
			"custom_details": map[string]string{"device_class": "/Server/AIX"},
			"tags":           []string{"a", "b"},
			"ints":           map[string]int{"n": 7},
			"i64":            int64(9007199254740993),
			"u":              uint64(1 << 63),
			"decoded":        decoded,
		},
	}
	tests := []struct {
		src  string
		want bool
	}{
		{`event.custom_details.device_class matches part '/server/aix'`, true},
		{`event.tags[1] == 'b'`, true},
		{`event.tags[2] exists`, false},
		{`event.ints.n == 7`, true},
		{`event.ints.n matches '7'`, true},
		{`event.i64 == 9007199254740993`, true},
		{`event.i64 > 9007199254740992`, true},
		{`event.u > 9223372036854775807`, true},
		{`event.decoded.custom_details.n == 12`, true},
		{`event.decoded.custom_details.f < 2`, true},
		{`event.decoded.custom_details.big == 9007199254740993`, true},
		{`event.decoded.custom_details.big matches '9007199254740993'`, true},
	}
	for _, tt := range tests {
		if got := MustParse(tt.src).Eval(in); got != tt.want {
			t.Errorf("Eval(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

const (
	routeUnix = `event.custom_details.device_class matches part '/Server/Linux' or event.custom_details.device_class matches part '/Server/AIX'`
	routeWin  = `event.custom_details.device_class matches part 'Windows'`
)

// TestRoutingExample routes like a router: first matching rule wins.
func TestRoutingExample(t *testing.T) {
	rules := []struct {
		cond    *Expr
		service string
	}{
		{MustParse(routeUnix), "PUNIX01"},
		{MustParse(routeWin), "PWIN001"},
	}
	route := func(details map[string]any) string {
		in := Input{Event: map[string]any{"summary": "x", "custom_details": details}}
		for _, r := range rules {
			if r.cond.Eval(in) {
				return r.service
			}
		}
		return "unrouted"
	}
	tests := []struct {
		deviceClass any
		want        string
	}{
		{"/Server/Linux/RedHat", "PUNIX01"},
		{"/Server/AIX/7.2", "PUNIX01"},
		{"/server/linux", "PUNIX01"}, // case-insensitive
		{"/Server/Windows/2019", "PWIN001"},
		{"WINDOWS", "PWIN001"},
		{"/Network/Switch", "unrouted"},
		{"/Server/Solaris", "unrouted"},
		{"", "unrouted"},
		{nil, "unrouted"},
		{float64(42), "unrouted"},
	}
	for _, tt := range tests {
		if got := route(map[string]any{"device_class": tt.deviceClass}); got != tt.want {
			t.Errorf("device_class %#v routed to %s, want %s", tt.deviceClass, got, tt.want)
		}
	}
	if got := route(map[string]any{}); got != "unrouted" {
		t.Errorf("missing device_class routed to %s, want unrouted", got)
	}
	if got, want := MustParse(routeUnix).Paths(), []string{"event.custom_details.device_class"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Paths() = %q, want %q", got, want)
	}
}

func TestString(t *testing.T) {
	tests := []struct{ src, want string }{
		{routeUnix, routeUnix},
		{`event.summary   MATCHES  part  'x'`, `event.summary matches part 'x'`},
		{`event.custom_details['abc']['a b'] [0] exists`, `event.custom_details.abc['a b'][0] exists`},
		{`event . custom_details . x exists`, `event.custom_details.x exists`},
		{`event.custom_details['1st']['_ok']['é'] exists`, `event.custom_details['1st']._ok['é'] exists`},
		{`(event.a exists)`, `event.a exists`},
		{`((event.a exists or event.b exists))`, `event.a exists or event.b exists`},
		{`event.a exists or (event.b exists and event.c exists)`, `event.a exists or event.b exists and event.c exists`},
		{`(event.a exists or event.b exists) and event.c exists`, `(event.a exists or event.b exists) and event.c exists`},
		{`event.a exists and (event.b exists and event.c exists)`, `event.a exists and event.b exists and event.c exists`},
		{`not (event.a exists)`, `not event.a exists`},
		{`not (event.a exists and true)`, `not (event.a exists and true)`},
		{`not (not event.a exists)`, `not not event.a exists`},
		{`event.x == 'it\'s \\ \d'`, `event.x == 'it\'s \\ \\d'`},
		{`event.x == 1.50`, `event.x == 1.5`},
		{`event.x == 2.0`, `event.x == 2.0`},
		{`event.x == 1.5E+21`, `event.x == 1.5e21`},
		{`event.x == 1.0e-7`, `event.x == 1.0e-07`},
		{`event.x == -0042`, `event.x == -42`},
		{`event.x!=NIL`, `event.x != nil`},
		{`TRUE==event.x`, `true == event.x`},
		{`event.x matches regex exactly '(?i)a'`, `event.x matches regex exactly '(?i)a'`},
		{`event.x<=1 and event.y>=2 and event.z<3 and event.w>4`, `event.x <= 1 and event.y >= 2 and event.z < 3 and event.w > 4`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.src, got, tt.want)
		}
		again := MustParse(e.String())
		if !again.Equal(e) {
			t.Errorf("Parse(%q) does not Equal its reprint %q", tt.src, e.String())
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		// PagerDuty's documented precedence example.
		{`event.x > 5 and not event.y < 6 or event.z == 2`, `((event.x > 5) and (not (event.y < 6))) or (event.z == 2)`, true},
		{`event.x > 5 and (not event.y < 6 or event.z == 2)`, `(event.x > 5) and ((not (event.y < 6)) or (event.z == 2))`, true},
		{`event.x > 5 and not event.y < 6 or event.z == 2`, `event.x > 5 and (not event.y < 6 or event.z == 2)`, false},
		{`event.a exists or event.b exists and event.c exists`, `event.a exists or (event.b exists and event.c exists)`, true},
		{`event.a exists or event.b exists and event.c exists`, `(event.a exists or event.b exists) and event.c exists`, false},
		{`not event.a exists and event.b exists`, `(not event.a exists) and event.b exists`, true},
		{`not event.a exists and event.b exists`, `not (event.a exists and event.b exists)`, false},
		{`event.x matches 'a'`, `event.x matches exactly 'a'`, false},
		{`event.x matches 'a'`, `event.x matches part 'a'`, false},
		{`event.x matches part 'a'`, `event.x matches regex 'a'`, false},
		{`event.x == 1`, `event.x == 1.0`, false},
		{`event.x == 1`, `event.x == '1'`, false},
		{`event.x == nil`, `event.x == 'nil'`, false},
		{`event.x == true`, `event.x == 'true'`, false},
		{`event.x exists`, `raw_event.x exists`, false},
		{`event.x[0] exists`, `event.x['0'] exists`, false},
		{`event.x.y exists`, `event['x']['y'] exists`, true},
		{`event.x == event.y`, `event.y == event.x`, false},
		{`event.x == 1`, `event.x != 1`, false},
		{`event.x exists`, `event.x exists and event.x exists`, false},
	}
	for _, tt := range tests {
		a, b := MustParse(tt.a), MustParse(tt.b)
		if got := a.Equal(b); got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Equal(a); got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
	var nilExpr *Expr
	if nilExpr.Equal(MustParse("true")) || MustParse("true").Equal(nil) {
		t.Error("a nil *Expr equals a parsed one")
	}
}

func TestPaths(t *testing.T) {
	e := MustParse(`event.b exists and (raw_event.a.b[0] == event.c or event.b matches 'x') and event.custom_details['a b'] > 1 and not event.d matches part event.b`)
	want := []string{"event.b", "raw_event.a.b[0]", "event.c", "event.custom_details['a b']", "event.d"}
	if got := e.Paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("Paths() = %q, want %q", got, want)
	}
	if got := MustParse(`true or 1 == 1`).Paths(); len(got) != 0 {
		t.Errorf("Paths() of a condition without paths = %q, want none", got)
	}
}

func TestSyntaxErrors(t *testing.T) {
	const wantOp = "an operator (matches, matches part, matches regex, exists, ==, !=, <, <=, >, >=)"
	tests := []struct {
		src      string
		col      int
		expected string // exact, when set
		found    string // exact
		msg      string // substring of Error(), when set
	}{
		{src: ``, col: 1, expected: wantCondition, found: "end of input"},
		{src: `   `, col: 4, expected: wantCondition, found: "end of input"},
		{src: `event.custom_details.x foo 'y'`, col: 24, expected: wantOp, found: "'foo'"},
		{src: `event.summary`, col: 14, expected: wantOp, found: "end of input"},
		{src: `event.summary 'x'`, col: 15, expected: wantOp, found: "string 'x'"},
		{src: `event.summary matches`, col: 22, found: "end of input", msg: "expected part, regex, exactly, or a value to match"},
		{src: `event.summary matches part`, col: 27, expected: wantMatchArg, found: "end of input"},
		{src: `event.summary matches regex event.x`, col: 29, expected: "a quoted regular expression", found: "'event'"},
		{src: `event.summary matches exactly part 'x'`, col: 31, found: "'part'", msg: "write matches part exactly"},
		{src: `event.summary matches 'x' and`, col: 30, expected: wantCondition, found: "end of input"},
		{src: `event.summary matches 'x' or or event.x exists`, col: 30, expected: wantCondition, found: "'or'"},
		{src: `event.summary matches 'x' 'y'`, col: 27, expected: wantEnd, found: "string 'y'"},
		{src: `event.a == 1 == 2`, col: 14, expected: wantEnd, found: "'=='"},
		{src: `event.a ==`, col: 11, expected: wantValue, found: "end of input"},
		{src: `event.a == and`, col: 12, expected: wantValue, found: "'and'"},

		// Parentheses.
		{src: `(event.a exists`, col: 16, expected: "and, or, or ')' to close the '(' at column 1", found: "end of input"},
		{src: `((event.a exists) or event.b exists`, col: 36, expected: "and, or, or ')' to close the '(' at column 1", found: "end of input"},
		{src: `event.a exists)`, col: 15, found: "')'", msg: "unbalanced ')'"},
		{src: `()`, col: 2, expected: wantCondition, found: "')'"},

		// Strings.
		{src: `event.a matches 'abc`, col: 17, found: "end of input", msg: "unterminated string"},
		{src: `event.a matches 'it\'s`, col: 17, found: "end of input", msg: "unterminated string"},
		{src: `event.a matches "abc"`, col: 17, found: `'"'`, msg: "double-quoted strings are not supported"},

		// Paths.
		{src: `summary matches 'x'`, col: 1, found: "'summary'", msg: "unknown path root 'summary'"},
		{src: `Event.summary exists`, col: 1, found: "'Event'", msg: "unknown path root 'Event'"},
		{src: `payload.summary exists`, col: 1, found: "'payload'", msg: "paths start with event. or raw_event."},
		{src: `event exists`, col: 7, expected: "'.' or '[' after event", found: "'exists'"},
		{src: `event.`, col: 7, found: "end of input", msg: "a field name after '.'"},
		{src: `event.custom_details[ exists`, col: 23, found: "'exists'", msg: "a quoted key or an index"},
		{src: `event.custom_details['a' exists`, col: 26, expected: "']'", found: "'exists'"},
		{src: `event.x[-1] exists`, col: 9, found: "'-1'", msg: "an index must not be negative"},
		{src: `event.x[1.5] exists`, col: 9, found: "'1.5'", msg: "a quoted key or an index"},
		{src: `'x' exists`, col: 5, found: "'exists'", msg: "exists applies to a path"},

		// Invalid regex points at the literal.
		{src: `event.source matches regex 'db(['`, col: 28, found: "string 'db(['", msg: "invalid regular expression 'db([': missing closing ]"},
		{src: `event.source matches regex exactly '*'`, col: 36, found: "string '*'", msg: "invalid regular expression '*'"},

		// Numbers and operators.
		{src: `event.x == 4e10`, col: 12, found: "'4e10'", msg: "a float needs a decimal point"},
		{src: `event.x == 12abc`, col: 12, found: "'12abc'", msg: "invalid number"},
		{src: `event.x == 99999999999999999999`, col: 12, found: "'99999999999999999999'", msg: "out of range"},
		{src: `event.x == 1.0e999`, col: 12, found: "'1.0e999'", msg: "out of range"},
		{src: `event.x = 'a'`, col: 9, found: "'='", msg: "use '=='"},
		{src: `event.x exists && event.y exists`, col: 16, found: "'&&'", msg: "use 'and'"},
		{src: `! event.y exists`, col: 1, found: "'!'", msg: "use 'not'"},
		{src: `event.x == - 1`, col: 12, found: "'-'", msg: "unexpected character '-'"},
		{src: `event.x ~ 'a'`, col: 9, found: "'~'", msg: "unexpected character '~'"},
		{src: `event.x == 'a' ∧ event.y exists`, col: 16, found: "'∧'", msg: "unexpected character"},

		// Unsupported PCL constructs say so.
		{src: `now in Mon,Tue 09:00:00 to 17:00:00 America/New_York`, col: 1, found: "'now'", msg: "`now in` schedules are not supported"},
		{src: `event.severity matches 'info' and not (now in Mon 09:00:00 to 17:00:00 UTC)`, col: 40, found: "'now'", msg: "`now in` schedules are not supported"},
		{src: `now > 2020-01-01 00:00:00 Etc/UTC`, col: 1, found: "'now'", msg: "`now` and datetime conditions are not supported"},
		{src: `event.t > 2021-12-04 19:00:42 America/Los_Angeles`, col: 11, found: "'2021-12-04'", msg: "datetime and time literals"},
		{src: `event.t in Mon 09:00:00 to 17:00:00 UTC`, col: 9, found: "'in'", msg: "`in` schedules are not supported"},
		{src: `trigger_count over 10 seconds > 5`, col: 1, found: "'trigger_count'", msg: "threshold conditions"},
		{src: `resetting_trigger_count over 10 seconds > 5`, col: 1, found: "'resetting_trigger_count'", msg: "threshold conditions"},

		// Columns count runes, not bytes.
		{src: `event.a == 'héllo' foo`, col: 20, expected: wantEnd, found: "'foo'"},
		{src: "event.a == 'x'\n\tor ?", col: 20, found: "'?'", msg: "unexpected character"},
		{src: "event.a == '\xff'", col: 13, found: "invalid UTF-8", msg: "invalid UTF-8"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError", tt.src, err)
			continue
		}
		if se.Column != tt.col {
			t.Errorf("Parse(%q): Column = %d, want %d (%v)", tt.src, se.Column, tt.col, se)
		}
		if tt.expected != "" && se.Expected != tt.expected {
			t.Errorf("Parse(%q): Expected = %q, want %q", tt.src, se.Expected, tt.expected)
		}
		if se.Found != tt.found {
			t.Errorf("Parse(%q): Found = %q, want %q", tt.src, se.Found, tt.found)
		}
		if tt.msg != "" && !strings.Contains(se.Error(), tt.msg) {
			t.Errorf("Parse(%q): Error() = %q, want it to contain %q", tt.src, se.Error(), tt.msg)
		}
		if tt.expected == "" && tt.msg == "" {
			t.Errorf("test for %q checks neither Expected nor the message", tt.src)
		}
	}
}

func TestSyntaxErrorText(t *testing.T) {
	_, err := Parse(`event.custom_details.x foo 'y'`)
	want := "column 24: expected an operator (matches, matches part, matches regex, exists, ==, !=, <, <=, >, >=), found 'foo'"
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %q", err, want)
	}
	_, err = Parse(`(event.a exists`)
	want = "column 16: expected and, or, or ')' to close the '(' at column 1, found end of input"
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %q", err, want)
	}
}

func TestNestingLimit(t *testing.T) {
	ok := strings.Repeat("(", maxDepth) + "true" + strings.Repeat(")", maxDepth)
	if _, err := Parse(ok); err != nil {
		t.Errorf("%d nested parentheses: %v", maxDepth, err)
	}
	for _, src := range []string{
		strings.Repeat("(", maxDepth+1) + "true" + strings.Repeat(")", maxDepth+1),
		strings.Repeat("not ", maxDepth+1) + "true",
		strings.Repeat("(", 100000),
	} {
		_, err := Parse(src)
		if err == nil || !strings.Contains(err.Error(), "nests deeper than") {
			t.Errorf("Parse(%.20q...) error = %v, want a nesting error", src, err)
		}
	}
}

func TestMustParse(t *testing.T) {
	defer func() {
		r := recover()
		if msg, ok := r.(string); !ok || !strings.Contains(msg, "column 1") {
			t.Errorf("MustParse(\"\") panicked with %v, want the syntax error", r)
		}
	}()
	MustParse("")
}

func TestZeroExpr(t *testing.T) {
	var e Expr
	if e.String() != "" || e.Eval(Input{}) || e.Paths() != nil || !e.Equal(&Expr{}) {
		t.Error("the zero Expr should print empty, evaluate false and read no paths")
	}
}

func BenchmarkEvalRouting(b *testing.B) {
	e := MustParse(routeUnix)
	in := Input{Event: map[string]any{
		"summary":        "CPU high on aix-07",
		"source":         "aix-07",
		"severity":       "warning",
		"custom_details": map[string]any{"device_class": "/Server/AIX/7.2", "cpu": 97.5},
	}}
	if !e.Eval(in) {
		b.Fatal("routing example does not match its benchmark event")
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Eval(in)
	}
}
