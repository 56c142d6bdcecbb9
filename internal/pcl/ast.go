package pcl

import (
	"regexp"
	"strings"
)

// node is one of *logicNode, *notNode, *constNode, *existsNode, *cmpNode
// and *matchNode.
type node interface{ isNode() }

type logicOp uint8

const (
	opAnd logicOp = iota
	opOr
)

// logicNode is an n-ary and/or. The parser flattens nested nodes of the
// same op, so kids never holds a logicNode with this node's op.
type logicNode struct {
	op   logicOp
	kids []node
}

type notNode struct{ x node }

// constNode is a bare true or false.
type constNode struct{ v bool }

type existsNode struct{ p path }

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

var cmpOps = [...]string{cmpEq: "==", cmpNe: "!=", cmpLt: "<", cmpLe: "<=", cmpGt: ">", cmpGe: ">="}

func (o cmpOp) String() string { return cmpOps[o] }

type cmpNode struct {
	op   cmpOp
	l, r operand
}

type matchKind uint8

const (
	matchWhole matchKind = iota // matches
	matchPart                   // matches part
	matchRegex                  // matches regex
)

type matchNode struct {
	kind    matchKind
	exactly bool
	l, r    operand
	re      *regexp.Regexp // matchRegex only; r is then a string literal

	// When r is a literal, its string form, folded unless exactly, so
	// Eval does not redo it for every event. rOK is false for nil.
	rConst bool
	rOK    bool
	rStr   string
}

func newMatch(kind matchKind, exactly bool, l, r operand, re *regexp.Regexp) *matchNode {
	m := &matchNode{kind: kind, exactly: exactly, l: l, r: r, re: re}
	if r.path == nil {
		m.rConst = true
		m.rStr, m.rOK = toString(r.lit)
		if !exactly {
			m.rStr = strings.ToLower(m.rStr)
		}
	}
	return m
}

func (*logicNode) isNode()  {}
func (*notNode) isNode()    {}
func (*constNode) isNode()  {}
func (*existsNode) isNode() {}
func (*cmpNode) isNode()    {}
func (*matchNode) isNode()  {}

// operand is a path, or a literal when path is nil.
type operand struct {
	path *path
	lit  any // string, int64, float64, bool or nil
}

type path struct {
	root string // "event" or "raw_event"
	segs []seg  // at least one
}

type seg struct {
	key     string
	index   int64
	isIndex bool
}

func equalNode(a, b node) bool {
	switch a := a.(type) {
	case *logicNode:
		b, ok := b.(*logicNode)
		if !ok || a.op != b.op || len(a.kids) != len(b.kids) {
			return false
		}
		for i := range a.kids {
			if !equalNode(a.kids[i], b.kids[i]) {
				return false
			}
		}
		return true
	case *notNode:
		b, ok := b.(*notNode)
		return ok && equalNode(a.x, b.x)
	case *constNode:
		b, ok := b.(*constNode)
		return ok && a.v == b.v
	case *existsNode:
		b, ok := b.(*existsNode)
		return ok && a.p.equal(b.p)
	case *cmpNode:
		b, ok := b.(*cmpNode)
		return ok && a.op == b.op && a.l.equal(b.l) && a.r.equal(b.r)
	case *matchNode:
		b, ok := b.(*matchNode)
		return ok && a.kind == b.kind && a.exactly == b.exactly && a.l.equal(b.l) && a.r.equal(b.r)
	}
	return false
}

// equal compares literals by type and value: 1 and 1.0 are different
// trees (they print differently) even though they evaluate alike.
func (o operand) equal(p operand) bool {
	if o.path != nil || p.path != nil {
		return o.path != nil && p.path != nil && o.path.equal(*p.path)
	}
	return o.lit == p.lit
}

func (p path) equal(q path) bool {
	if p.root != q.root || len(p.segs) != len(q.segs) {
		return false
	}
	for i := range p.segs {
		if p.segs[i] != q.segs[i] {
			return false
		}
	}
	return true
}

func walkPaths(n node, f func(path)) {
	visit := func(o operand) {
		if o.path != nil {
			f(*o.path)
		}
	}
	switch n := n.(type) {
	case *logicNode:
		for _, k := range n.kids {
			walkPaths(k, f)
		}
	case *notNode:
		walkPaths(n.x, f)
	case *existsNode:
		f(n.p)
	case *cmpNode:
		visit(n.l)
		visit(n.r)
	case *matchNode:
		visit(n.l)
		visit(n.r)
	}
}
