package pcl

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	routeUnix,
	routeWin,
	`event.summary matches part 'database'`,
	`event.source matches regex 'db[0-9]+-server'`,
	`event.severity matches 'critical'`,
	`not event.custom_details.errors exists`,
	`raw_event.class exists and event.summary matches part 'unstable'`,
	`event.severity matches 'info' and not (now in Mon,Tue,Wed,Thu,Fri 09:00:00 to 17:00:00 America/Los_Angeles)`,
	`event.summary matches 'prod' and (event.location == 'US' or event.location == 'Canada')`,
	`event.x > 5 and not event.y < 6 or event.z == 2`,
	`event.custom_details['system diagnosis'].important_field matches part exactly 'Important'`,
	`raw_event.headers.from[0] != 'first' and event.custom_details.count >= -12`,
	`event.custom_details.ratio <= 0.7 or event.custom_details.big > 4.5e10`,
	`event.source matches regex exactly '(?-sm)^db\d+$' or event.x == nil`,
	`event.summary matches 'the system\'s down' or event.path == 'C:\\temp'`,
	`EVENT.x exists AND Not (event.y Matches Part 'a' OR true)`,
	`((event.a exists)) and ((event.b == 1.0) or false)`,
	`'こんにちは世界' matches part event.custom_details.greeting`,
	`event.x == 9007199254740992 and event.y == 9007199254740993.0`,
	`trigger_count over 10 seconds > 5`,
	`event.t > 2021-12-04 19:00:42 America/Los_Angeles`,
	`event.a matches "double"`,
	`(event.a exists`,
	``,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T, want *SyntaxError", src, err)
			}
			if se.Column < 1 || se.Column > utf8.RuneCountInString(src)+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", src, se.Column, utf8.RuneCountInString(src)+1)
			}
			if se.Found == "" || se.Expected == "" && se.Msg == "" {
				t.Fatalf("Parse(%q): incomplete error %#v", src, se)
			}
			return
		}
		printed := e.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) printed as %q, which does not parse: %v", src, printed, err)
		}
		if !again.Equal(e) {
			t.Fatalf("Parse(%q) printed as %q, which parses to a different tree", src, printed)
		}
		if reprinted := again.String(); reprinted != printed {
			t.Fatalf("printing is not a fixed point: %q -> %q -> %q", src, printed, reprinted)
		}
		if !reflect.DeepEqual(e.Paths(), again.Paths()) {
			t.Fatalf("Paths differ after reprinting %q: %q vs %q", src, e.Paths(), again.Paths())
		}
	})
}

// FuzzEval checks that evaluation never panics on any condition and event,
// and that the printed form of a condition evaluates the same.
func FuzzEval(f *testing.F) {
	events := []string{
		`{"summary":"Disk FULL on db01","severity":"critical","custom_details":{"device_class":"/Server/Linux","count":42,"tags":["a",{"b":null}],"n":null}}`,
		`{"summary":null,"custom_details":[1,2,3]}`,
		`{"source":"db7-server","custom_details":{"system diagnosis":{"important_field":"Important value"},"ratio":0.5,"big":1e300}}`,
		`{}`,
	}
	for i, s := range fuzzSeeds {
		f.Add(s, events[i%len(events)])
	}
	f.Fuzz(func(t *testing.T, src, event string) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		var ev map[string]any
		if json.Unmarshal([]byte(event), &ev) != nil {
			return
		}
		in := Input{Event: ev, RawEvent: ev}
		if got, again := e.Eval(in), MustParse(e.String()).Eval(in); got != again {
			t.Fatalf("%q evaluates to %v but its printed form %q to %v on %s", src, got, e.String(), again, event)
		}
	})
}
