package pcl

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

func evalNode(n node, in Input) bool {
	switch n := n.(type) {
	case *logicNode:
		for _, k := range n.kids {
			if evalNode(k, in) == (n.op == opOr) {
				return n.op == opOr // short-circuit
			}
		}
		return n.op == opAnd
	case *notNode:
		return !evalNode(n.x, in)
	case *constNode:
		return n.v
	case *existsNode:
		// A path that holds nil exists; a missing one does not.
		_, ok := n.p.lookup(in)
		return ok
	case *cmpNode:
		l, r := n.l.value(in), n.r.value(in)
		switch n.op {
		case cmpEq:
			return equalValues(l, r)
		case cmpNe:
			return !equalValues(l, r)
		}
		c, ok := compareValues(l, r)
		if !ok {
			return false
		}
		switch n.op {
		case cmpLt:
			return c < 0
		case cmpLe:
			return c <= 0
		case cmpGt:
			return c > 0
		}
		return c >= 0
	case *matchNode:
		return n.eval(in)
	}
	return false
}

func (m *matchNode) eval(in Input) bool {
	l, ok := toString(m.l.value(in))
	if !ok {
		return false
	}
	if m.kind == matchRegex {
		return m.re.MatchString(l)
	}
	r, ok := m.rStr, m.rOK
	if !m.rConst {
		r, ok = toString(m.r.value(in))
		if ok && !m.exactly {
			r = strings.ToLower(r)
		}
	}
	if !ok {
		return false
	}
	if !m.exactly {
		l = strings.ToLower(l)
	}
	if m.kind == matchPart {
		return strings.Contains(l, r)
	}
	return l == r
}

// value is the operand's value; a missing path is nil.
func (o operand) value(in Input) any {
	if o.path == nil {
		return o.lit
	}
	v, _ := o.path.lookup(in)
	return v
}

func (p path) lookup(in Input) (any, bool) {
	var cur any = in.Event
	if p.root == "raw_event" {
		cur = in.RawEvent
	}
	for _, s := range p.segs {
		var ok bool
		if s.isIndex {
			cur, ok = index(cur, s.index)
		} else {
			cur, ok = field(cur, s.key)
		}
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func field(v any, key string) (any, bool) {
	switch m := v.(type) {
	case map[string]any:
		x, ok := m[key]
		return x, ok
	case map[string]string:
		x, ok := m[key]
		return x, ok
	}
	// Other map types, for callers that did not decode into map[string]any.
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	x := rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
	if !x.IsValid() {
		return nil, false
	}
	return x.Interface(), true
}

func index(v any, i int64) (any, bool) {
	if s, ok := v.([]any); ok {
		if i >= int64(len(s)) {
			return nil, false
		}
		return s[i], true
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); k != reflect.Slice && k != reflect.Array || i >= int64(rv.Len()) {
		return nil, false
	}
	return rv.Index(int(i)).Interface(), true
}

// num is a PCL number: PagerDuty keeps integers and floats apart.
type num struct {
	isInt bool
	i     int64
	f     float64
}

func asNum(v any) (num, bool) {
	switch v := v.(type) {
	case int:
		return num{isInt: true, i: int64(v)}, true
	case int8:
		return num{isInt: true, i: int64(v)}, true
	case int16:
		return num{isInt: true, i: int64(v)}, true
	case int32:
		return num{isInt: true, i: int64(v)}, true
	case int64:
		return num{isInt: true, i: v}, true
	case uint:
		return uintNum(uint64(v)), true
	case uint8:
		return num{isInt: true, i: int64(v)}, true
	case uint16:
		return num{isInt: true, i: int64(v)}, true
	case uint32:
		return num{isInt: true, i: int64(v)}, true
	case uint64:
		return uintNum(v), true
	case float32:
		return num{f: float64(v)}, true
	case float64:
		return num{f: v}, true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return num{isInt: true, i: i}, true
		}
		if f, err := v.Float64(); err == nil {
			return num{f: f}, true
		}
	}
	return num{}, false
}

func uintNum(u uint64) num {
	if u > math.MaxInt64 {
		return num{f: float64(u)}
	}
	return num{isInt: true, i: int64(u)}
}

// compareNums follows PagerDuty's rule for mixed integer/float
// comparisons: convert whichever side has less precision. Within ±2^53 a
// float is exact for integers, so the integer becomes a float; beyond it
// the float is an integer, so it becomes one.
func compareNums(a, b num) int {
	switch {
	case a.isInt && b.isInt:
		return cmp.Compare(a.i, b.i)
	case !a.isInt && !b.isInt:
		return cmp.Compare(a.f, b.f)
	case !a.isInt:
		return -compareNums(b, a)
	}
	i, f := a.i, b.f
	const exact = 1 << 53
	switch {
	case f >= -exact && f <= exact:
		return cmp.Compare(float64(i), f)
	case f >= math.MaxInt64: // 2^63 and beyond: above every int64
		return -1
	case f < math.MinInt64:
		return 1
	}
	return cmp.Compare(i, int64(f))
}

// equalValues is PCL ==: no conversions; numbers compare across int and
// float, strings case-sensitively, nil only equals nil, and objects and
// lists by content. Anything else (string vs number...) is not equal.
func equalValues(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if na, ok := asNum(a); ok {
		nb, ok := asNum(b)
		return ok && compareNums(na, nb) == 0
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	}
	if !isComposite(a) || !isComposite(b) {
		return false
	}
	as, aok := toJSON(a)
	bs, bok := toJSON(b)
	return aok && bok && as == bs
}

// compareValues orders two numbers. PCL's <, <=, > and >= take numbers
// (or datetimes, which are not supported) and are false for anything
// else, including numeric strings.
func compareValues(a, b any) (int, bool) {
	na, ok := asNum(a)
	if !ok {
		return 0, false
	}
	nb, ok := asNum(b)
	if !ok {
		return 0, false
	}
	return compareNums(na, nb), true
}

// toString converts a value for the matches operators, as PagerDuty does:
// numbers in decimal, booleans as true/false, objects and lists as JSON;
// nil has no string form.
func toString(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return v.String(), true
	}
	if n, ok := asNum(v); ok {
		if n.isInt {
			return strconv.FormatInt(n.i, 10), true
		}
		// JSON decoding turns the integer 42 into float64(42); PagerDuty
		// would have kept it an integer, so print it as one.
		if n.f == math.Trunc(n.f) && math.Abs(n.f) < 1<<53 {
			return strconv.FormatInt(int64(n.f), 10), true
		}
		return strconv.FormatFloat(n.f, 'g', -1, 64), true
	}
	return toJSON(v)
}

func isComposite(v any) bool {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct, reflect.Pointer:
		return true
	}
	return false
}

func toJSON(v any) (string, bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep '<' and '&' as they are for matching
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	return strings.TrimSuffix(buf.String(), "\n"), true
}
