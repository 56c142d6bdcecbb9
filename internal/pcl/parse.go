package pcl

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting of parentheses and not, so that hostile input
// cannot exhaust the stack in the parser, printer or evaluator.
const maxDepth = 100

const (
	wantCondition = "a condition (a path such as event.summary, not, or '(')"
	wantOperator  = "an operator (matches, matches part, matches regex, exists, ==, !=, <, <=, >, >=)"
	wantValue     = "a value (a quoted string, number, true, false, nil or a path)"
	wantMatchArg  = "a value to match (a quoted string, number or path)"
	wantEnd       = "and, or, or end of input"
)

// keywords may not start an operand; met there they get an
// "expected ..., found 'and'" error rather than "unknown path root".
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "matches": true, "part": true,
	"regex": true, "exactly": true, "exists": true, "in": true,
}

type parser struct {
	lx    lexer
	tok   token // lookahead
	depth int
}

func parse(src string) (node, error) {
	if !utf8.ValidString(src) {
		col := 1
		for i := 0; i < len(src); col++ {
			r, size := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return nil, &SyntaxError{Column: col, Found: "invalid UTF-8", Msg: "invalid UTF-8 in condition"}
	}
	p := &parser{lx: lexer{src: []rune(src)}}
	p.advance()
	if p.tok.kind == tkEOF {
		return nil, p.fail(wantCondition)
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tkEOF {
		err := p.fail(wantEnd)
		if p.isPunct(")") {
			err.Msg = "unbalanced ')': no '(' before it"
		}
		return nil, err
	}
	return n, nil
}

func (p *parser) advance() { p.tok = p.lx.next() }

// peek returns the token after the lookahead without consuming anything.
func (p *parser) peek() token {
	lx := p.lx
	return lx.next()
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tkPunct && p.tok.text == s }

// isKw matches keywords case-insensitively; the printer writes them in
// lowercase.
func (p *parser) isKw(kw string) bool {
	return p.tok.kind == tkIdent && strings.EqualFold(p.tok.text, kw)
}

// fail reports that the lookahead is not what was expected, unless the
// lookahead is itself a lexical error, which is then the better message.
func (p *parser) fail(expected string) *SyntaxError {
	if p.tok.kind == tkErr {
		return p.tok.err
	}
	return &SyntaxError{Column: p.tok.col, Expected: expected, Found: p.tok.found()}
}

func (p *parser) failMsg(expected, msg string) *SyntaxError {
	err := p.fail(expected)
	if p.tok.kind != tkErr {
		err.Msg = msg
	}
	return err
}

func (p *parser) parseOr() (node, error) {
	return p.parseLogic(opOr, "or", p.parseAnd)
}

func (p *parser) parseAnd() (node, error) {
	return p.parseLogic(opAnd, "and", p.parseUnary)
}

// parseLogic parses sub (kw sub)*, flattening same-op children that came
// from parentheses so that equal conditions have equal trees.
func (p *parser) parseLogic(op logicOp, kw string, sub func() (node, error)) (node, error) {
	var kids []node
	for {
		n, err := sub()
		if err != nil {
			return nil, err
		}
		if l, ok := n.(*logicNode); ok && l.op == op {
			kids = append(kids, l.kids...)
		} else {
			kids = append(kids, n)
		}
		if !p.isKw(kw) {
			break
		}
		p.advance() // each pass consumes at least this keyword: the loop ends
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &logicNode{op: op, kids: kids}, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.failMsg(wantCondition, fmt.Sprintf("condition nests deeper than %d levels of parentheses or not", maxDepth))
	}
	return nil
}

func (p *parser) parseUnary() (node, error) {
	if !p.isKw("not") {
		return p.parsePrimary()
	}
	p.advance()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &notNode{x: x}, nil
}

func (p *parser) parsePrimary() (node, error) {
	if p.isPunct("(") {
		open := p.tok.col
		p.advance()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.isPunct(")") {
			return nil, p.fail(fmt.Sprintf("and, or, or ')' to close the '(' at column %d", open))
		}
		p.advance()
		return x, nil
	}
	left, err := p.parseOperand(wantCondition)
	if err != nil {
		return nil, err
	}
	return p.parseCondition(left)
}

func (p *parser) parseOperand(expected string) (operand, error) {
	t := p.tok
	switch t.kind {
	case tkString:
		p.advance()
		return operand{lit: t.str}, nil
	case tkInt:
		p.advance()
		return operand{lit: t.i}, nil
	case tkFloat:
		p.advance()
		return operand{lit: t.f}, nil
	case tkIdent:
		// Path roots are bindings, so they are case-sensitive.
		if t.text == "event" || t.text == "raw_event" {
			return p.parsePath()
		}
		switch w := strings.ToLower(t.text); w {
		case "true", "false":
			p.advance()
			return operand{lit: w == "true"}, nil
		case "nil":
			p.advance()
			return operand{}, nil
		case "now":
			if next := p.peek(); next.kind == tkIdent && strings.EqualFold(next.text, "in") {
				return operand{}, p.failMsg(expected, "`now in` schedules are not supported")
			}
			return operand{}, p.failMsg(expected, "`now` and datetime conditions are not supported")
		case "trigger_count", "resetting_trigger_count":
			return operand{}, p.failMsg(expected, fmt.Sprintf("threshold conditions (`%s over <duration>`) are not supported", w))
		default:
			if keywords[w] {
				return operand{}, p.fail(expected)
			}
		}
		return operand{}, p.failMsg(expected, fmt.Sprintf("unknown path root %s: paths start with event. or raw_event. (as in event.summary)", show(t.text)))
	}
	return operand{}, p.fail(expected)
}

// parsePath parses root ('.' ident | '[' string ']' | '[' int ']')+.
func (p *parser) parsePath() (operand, error) {
	pt := &path{root: p.tok.text}
	p.advance()
	// Each pass consumes at least two tokens, and input is finite.
	for {
		switch {
		case p.isPunct("."):
			p.advance()
			if p.tok.kind != tkIdent {
				return operand{}, p.fail("a field name after '.' (use ['...'] for keys that are not identifiers)")
			}
			pt.segs = append(pt.segs, seg{key: p.tok.text})
			p.advance()
		case p.isPunct("["):
			p.advance()
			switch p.tok.kind {
			case tkString:
				pt.segs = append(pt.segs, seg{key: p.tok.str})
			case tkInt:
				if p.tok.i < 0 {
					return operand{}, p.failMsg("a quoted key or an index", "an index must not be negative")
				}
				pt.segs = append(pt.segs, seg{index: p.tok.i, isIndex: true})
			default:
				return operand{}, p.fail("a quoted key or an index, as in ['key'] or [0]")
			}
			p.advance()
			if !p.isPunct("]") {
				return operand{}, p.fail("']'")
			}
			p.advance()
		default:
			if len(pt.segs) == 0 {
				return operand{}, p.fail(fmt.Sprintf("'.' or '[' after %s", pt.root))
			}
			return operand{path: pt}, nil
		}
	}
}

// parseCondition parses what follows the first operand of a condition.
func (p *parser) parseCondition(left operand) (node, error) {
	if p.tok.kind == tkPunct {
		for op, s := range cmpOps {
			if p.tok.text == s {
				p.advance()
				right, err := p.parseOperand(wantValue)
				if err != nil {
					return nil, err
				}
				return &cmpNode{op: cmpOp(op), l: left, r: right}, nil
			}
		}
	}
	switch {
	case p.isKw("exists"):
		if left.path == nil {
			return nil, p.failMsg(wantOperator, "exists applies to a path, not to a literal")
		}
		p.advance()
		return &existsNode{p: *left.path}, nil
	case p.isKw("matches"):
		return p.parseMatches(left)
	case p.isKw("in"):
		return nil, p.failMsg(wantOperator, "`in` schedules are not supported")
	}
	if b, ok := left.lit.(bool); ok && left.path == nil {
		return &constNode{v: b}, nil
	}
	return nil, p.fail(wantOperator)
}

func (p *parser) parseMatches(left operand) (node, error) {
	p.advance()
	kind := matchWhole
	switch {
	case p.isKw("part"):
		kind = matchPart
		p.advance()
	case p.isKw("regex"):
		kind = matchRegex
		p.advance()
	}
	exactly := false
	if p.isKw("exactly") {
		exactly = true
		p.advance()
		if kind == matchWhole && (p.isKw("part") || p.isKw("regex")) {
			w := strings.ToLower(p.tok.text)
			return nil, p.failMsg(wantMatchArg, fmt.Sprintf("exactly goes last: write matches %s exactly", w))
		}
	}
	if kind == matchRegex {
		if p.tok.kind != tkString {
			return nil, p.fail("a quoted regular expression")
		}
		re, err := compileRegex(p.tok.str, exactly)
		if err != nil {
			return nil, &SyntaxError{Column: p.tok.col, Found: p.tok.found(),
				Msg: fmt.Sprintf("invalid regular expression %s: %v", show(p.tok.str), err)}
		}
		right := operand{lit: p.tok.str}
		p.advance()
		return newMatch(kind, exactly, left, right, re), nil
	}
	expected := wantMatchArg
	if kind == matchWhole && !exactly {
		expected = "part, regex, exactly, or " + wantMatchArg
	}
	right, err := p.parseOperand(expected)
	if err != nil {
		return nil, err
	}
	return newMatch(kind, exactly, left, right, nil), nil
}

// compileRegex compiles a pattern the way PagerDuty runs it: RE2 with the
// s and m flags, and i unless exactly. Flags inside the pattern still win.
func compileRegex(pattern string, exactly bool) (*regexp.Regexp, error) {
	// Validate the bare pattern first so the error quotes the user's text,
	// not our flag prefix.
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, unwrapRegexErr(err)
	}
	flags := "(?ism)"
	if exactly {
		flags = "(?sm)"
	}
	re, err := regexp.Compile(flags + pattern)
	if err != nil {
		return nil, unwrapRegexErr(err)
	}
	return re, nil
}

// unwrapRegexErr drops the "error parsing regexp: " prefix, which our
// message already says in other words.
func unwrapRegexErr(err error) error {
	return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
}
