package pcl

import (
	"strconv"
	"strings"
)

func printNode(b *strings.Builder, n node) {
	switch n := n.(type) {
	case *logicNode:
		sep := " and "
		if n.op == opOr {
			sep = " or "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			// Only an or inside an and needs parentheses: and binds
			// tighter, and same-op children were flattened away.
			l, ok := k.(*logicNode)
			printMaybeParens(b, k, ok && l.op == opOr && n.op == opAnd)
		}
	case *notNode:
		b.WriteString("not ")
		_, isLogic := n.x.(*logicNode)
		printMaybeParens(b, n.x, isLogic)
	case *constNode:
		b.WriteString(strconv.FormatBool(n.v))
	case *existsNode:
		b.WriteString(n.p.String())
		b.WriteString(" exists")
	case *cmpNode:
		printOperand(b, n.l)
		b.WriteString(" " + n.op.String() + " ")
		printOperand(b, n.r)
	case *matchNode:
		printOperand(b, n.l)
		b.WriteString(" matches")
		switch n.kind {
		case matchPart:
			b.WriteString(" part")
		case matchRegex:
			b.WriteString(" regex")
		}
		if n.exactly {
			b.WriteString(" exactly")
		}
		b.WriteString(" ")
		printOperand(b, n.r)
	}
}

func printMaybeParens(b *strings.Builder, n node, parens bool) {
	if parens {
		b.WriteString("(")
	}
	printNode(b, n)
	if parens {
		b.WriteString(")")
	}
}

func printOperand(b *strings.Builder, o operand) {
	if o.path != nil {
		b.WriteString(o.path.String())
		return
	}
	b.WriteString(literalString(o.lit))
}

func literalString(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return "nil"
}

// formatFloat prints the shortest text that parses back to f and that PCL
// still reads as a float: it always has a decimal point, and its exponent
// has no '+'.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	mant, exp, hasExp := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if !hasExp {
		return mant
	}
	return mant + "e" + strings.TrimPrefix(exp, "+")
}

var quoter = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

func quote(s string) string { return "'" + quoter.Replace(s) + "'" }

// String prints the path canonically: dot form for identifier keys,
// ['...'] for other keys, [n] for indexes.
func (p path) String() string {
	var b strings.Builder
	b.WriteString(p.root)
	for _, s := range p.segs {
		switch {
		case s.isIndex:
			b.WriteString("[" + strconv.FormatInt(s.index, 10) + "]")
		case isIdent(s.key):
			b.WriteString("." + s.key)
		default:
			b.WriteString("[" + quote(s.key) + "]")
		}
	}
	return b.String()
}
