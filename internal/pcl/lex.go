package pcl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

type tokKind uint8

const (
	tkEOF tokKind = iota
	tkErr         // a lexical error; the parser reports err when it meets it
	tkIdent
	tkString
	tkInt
	tkFloat
	tkPunct
)

type token struct {
	kind tokKind
	col  int    // 1-based, in runes
	text string // source text
	str  string // decoded value of a string
	i    int64
	f    float64
	err  *SyntaxError
}

// found describes the token for SyntaxError.Found.
func (t token) found() string {
	switch t.kind {
	case tkEOF:
		return "end of input"
	case tkErr:
		return t.err.Found
	case tkString:
		return "string " + show(t.str)
	}
	return show(t.text)
}

// lexer hands out one token at a time so that the error reported is the
// leftmost one, whether lexical or syntactic.
type lexer struct {
	src []rune
	pos int
}

func (l *lexer) next() token {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tkEOF, col: start + 1}
	}
	r := l.src[start]
	switch {
	case isIdentStart(r):
		l.pos = l.scan(start, isIdentPart)
		return token{kind: tkIdent, col: start + 1, text: string(l.src[start:l.pos])}
	case isDigit(r) || r == '-' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		return l.number(start)
	case r == '\'':
		return l.string(start)
	}
	return l.punct(start)
}

// scan returns the end of the run of runes accepted by ok, from i.
func (l *lexer) scan(i int, ok func(rune) bool) int {
	for i < len(l.src) && ok(l.src[i]) {
		i++
	}
	return i
}

func (l *lexer) errAt(start, end int, msg string) token {
	text := string(l.src[start:end])
	l.pos = end
	return token{kind: tkErr, col: start + 1, text: text,
		err: &SyntaxError{Column: start + 1, Found: show(text), Msg: msg}}
}

// number lexes PCL numbers: an integer, or a float with a decimal point and
// an optional exponent ("A float ... must begin with a digit and must have a
// decimal point").
func (l *lexer) number(start int) token {
	i := start
	if l.src[i] == '-' {
		i++
	}
	i = l.scan(i, isDigit)
	isFloat := false
	if i+1 < len(l.src) && l.src[i] == '.' && isDigit(l.src[i+1]) {
		isFloat = true
		i = l.scan(i+1, isDigit)
		if i < len(l.src) && (l.src[i] == 'e' || l.src[i] == 'E') {
			j := i + 1
			if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
				j++
			}
			if j < len(l.src) && isDigit(l.src[j]) {
				i = l.scan(j, isDigit)
			}
		}
	}
	if !isFloat && i+1 < len(l.src) && (l.src[i] == '-' || l.src[i] == ':') && isDigit(l.src[i+1]) {
		end := l.scan(i, func(r rune) bool { return isDigit(r) || r == '-' || r == ':' })
		return l.errAt(start, end, "datetime and time literals (YYYY-MM-DD HH:MM:SS <TZ>) are not supported")
	}
	if i < len(l.src) && (isIdentPart(l.src[i]) || l.src[i] == '.') {
		end := l.scan(i, func(r rune) bool { return isIdentPart(r) || r == '.' })
		msg := fmt.Sprintf("invalid number %s", show(string(l.src[start:end])))
		if !isFloat && (l.src[i] == 'e' || l.src[i] == 'E') {
			msg += ": a float needs a decimal point, as in 4.0e10"
		}
		return l.errAt(start, end, msg)
	}
	text := string(l.src[start:i])
	t := token{col: start + 1, text: text}
	var err error
	if isFloat {
		t.kind = tkFloat
		t.f, err = strconv.ParseFloat(text, 64)
	} else {
		t.kind = tkInt
		t.i, err = strconv.ParseInt(text, 10, 64)
	}
	if err != nil {
		return l.errAt(start, i, fmt.Sprintf("number %s is out of range", show(text)))
	}
	l.pos = i
	return t
}

// string lexes a single-quoted string. PCL has exactly two escapes, \' and
// \\. Any other backslash is kept as it is, so regexes such as '\d+' read
// naturally; the printer writes every backslash as \\, which means the
// same under either reading.
func (l *lexer) string(start int) token {
	var b strings.Builder
	for i := start + 1; i < len(l.src); i++ {
		switch r := l.src[i]; r {
		case '\'':
			l.pos = i + 1
			return token{kind: tkString, col: start + 1, text: string(l.src[start:l.pos]), str: b.String()}
		case '\\':
			if i+1 >= len(l.src) {
				continue // unterminated; reported below
			}
			if n := l.src[i+1]; n == '\'' || n == '\\' {
				b.WriteRune(n)
				i++
			} else {
				b.WriteRune(r)
			}
		default:
			b.WriteRune(r)
		}
	}
	l.pos = len(l.src)
	return token{kind: tkErr, col: start + 1, err: &SyntaxError{
		Column:   start + 1,
		Expected: "a closing ' for the string that starts here",
		Found:    "end of input",
		Msg:      "unterminated string: no closing ' for the quote at this column",
	}}
}

var punctHints = map[string]string{
	"=":  "'=' is not an operator: use '==' to compare",
	"!":  "'!' is not an operator: use 'not' or '!='",
	"&&": "'&&' is not an operator: use 'and'",
	"||": "'||' is not an operator: use 'or'",
	"&":  "'&' is not an operator: use 'and'",
	"|":  "'|' is not an operator: use 'or'",
	`"`:  "double-quoted strings are not supported: use single quotes, as in 'text'",
}

func (l *lexer) punct(start int) token {
	two := ""
	if start+1 < len(l.src) {
		two = string(l.src[start : start+2])
	}
	switch two {
	case "==", "!=", "<=", ">=":
		l.pos = start + 2
		return token{kind: tkPunct, col: start + 1, text: two}
	case "&&", "||":
		return l.errAt(start, start+2, punctHints[two])
	}
	one := string(l.src[start])
	switch one {
	case ".", "[", "]", "(", ")", "<", ">":
		l.pos = start + 1
		return token{kind: tkPunct, col: start + 1, text: one}
	}
	if hint, ok := punctHints[one]; ok {
		return l.errAt(start, start+1, hint)
	}
	return l.errAt(start, start+1, "unexpected character "+show(one))
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }
func isDigit(r rune) bool { return '0' <= r && r <= '9' }

// Identifiers are ASCII only, as PagerDuty defines them. Keeping them ASCII
// also keeps keyword matching safe from Unicode case folding (ſ folds to s).
func isIdentStart(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_'
}
func isIdentPart(r rune) bool { return isIdentStart(r) || isDigit(r) }

func isIdent(s string) bool {
	for i, r := range s {
		if i == 0 && !isIdentStart(r) || !isIdentPart(r) {
			return false
		}
	}
	return s != ""
}

// show quotes source text for messages, clipped so one long literal
// cannot swamp the message; unprintable text gets Go escapes.
func show(s string) string {
	const maxRunes = 40
	if r := []rune(s); len(r) > maxRunes {
		s = string(r[:maxRunes]) + "…"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return "'" + s + "'"
}
