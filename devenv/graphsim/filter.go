package graphsim

import (
	"strconv"
	"strings"
)

// node is a parsed $filter expression.
type node struct {
	op    string // or, and, not, eq, ne, ge, le, gt, lt, in, startswith, endswith, any
	prop  string // property (as written)
	val   value
	vals  []value // in
	left  *node
	right *node
}

// value is a filter literal.
type value struct {
	kind string // string, bool, null, number
	s    string
	b    bool
}

type lexer struct {
	s   string
	pos int
}

func (l *lexer) skip() {
	for l.pos < len(l.s) && (l.s[l.pos] == ' ' || l.s[l.pos] == '\t') {
		l.pos++
	}
}

// next returns the next token: an identifier/word, a quoted string (kept
// with its quotes), or one of ( ) , :.
func (l *lexer) next() string {
	l.skip()
	if l.pos >= len(l.s) {
		return ""
	}
	c := l.s[l.pos]
	switch {
	case c == '(' || c == ')' || c == ',' || c == ':':
		l.pos++
		return string(c)
	case c == '\'':
		var b strings.Builder
		b.WriteByte('\'')
		l.pos++
		for l.pos < len(l.s) {
			if l.s[l.pos] == '\'' {
				if l.pos+1 < len(l.s) && l.s[l.pos+1] == '\'' {
					b.WriteByte('\'')
					l.pos += 2
					continue
				}
				l.pos++
				b.WriteByte('\'')
				return b.String()
			}
			b.WriteByte(l.s[l.pos])
			l.pos++
		}
		return "\x00unterminated"
	}
	start := l.pos
	for l.pos < len(l.s) && !strings.ContainsRune(" \t(),:'", rune(l.s[l.pos])) {
		l.pos++
	}
	return l.s[start:l.pos]
}

func (l *lexer) peek() string {
	p := l.pos
	t := l.next()
	l.pos = p
	return t
}

type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// parseFilter parses the OData subset Graph accepts on directory objects.
func parseFilter(s string) (n *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*parseError)
			if !ok {
				panic(r)
			}
			n, err = nil, pe
		}
	}()
	l := &lexer{s: s}
	n = parseOr(l)
	if t := l.next(); t != "" {
		panic(&parseError{"Syntax error at position " + strconv.Itoa(l.pos) + " in '" + s + "'."})
	}
	return n, nil
}

func expect(l *lexer, t string) {
	if got := l.next(); got != t {
		panic(&parseError{"Syntax error: expected '" + t + "' but found '" + got + "' at position " + strconv.Itoa(l.pos) + " in '" + l.s + "'."})
	}
}

func parseOr(l *lexer) *node {
	n := parseAnd(l)
	for strings.EqualFold(l.peek(), "or") {
		l.next()
		n = &node{op: "or", left: n, right: parseAnd(l)}
	}
	return n
}

func parseAnd(l *lexer) *node {
	n := parseUnary(l)
	for strings.EqualFold(l.peek(), "and") {
		l.next()
		n = &node{op: "and", left: n, right: parseUnary(l)}
	}
	return n
}

func parseUnary(l *lexer) *node {
	if strings.EqualFold(l.peek(), "not") {
		l.next()
		return &node{op: "not", left: parseUnary(l)}
	}
	return parsePrimary(l)
}

func parseLiteral(l *lexer) value {
	t := l.next()
	switch {
	case strings.HasPrefix(t, "\x00"):
		panic(&parseError{"Unterminated string literal in '" + l.s + "'."})
	case strings.HasPrefix(t, "'"):
		return value{kind: "string", s: t[1 : len(t)-1]}
	case t == "true" || t == "false":
		return value{kind: "bool", b: t == "true"}
	case t == "null":
		return value{kind: "null"}
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil && t != "" {
		return value{kind: "number", s: t}
	}
	panic(&parseError{"Syntax error: '" + t + "' is not a valid literal in '" + l.s + "'."})
}

func parsePrimary(l *lexer) *node {
	t := l.next()
	if t == "(" {
		n := parseOr(l)
		expect(l, ")")
		return n
	}
	if t == "" || strings.HasPrefix(t, "'") {
		panic(&parseError{"Syntax error: a property or function was expected in '" + l.s + "'."})
	}
	if fn := strings.ToLower(t); (fn == "startswith" || fn == "endswith") && l.peek() == "(" {
		l.next()
		prop := l.next()
		expect(l, ",")
		v := parseLiteral(l)
		expect(l, ")")
		return &node{op: fn, prop: prop, val: v}
	}
	// collection/any(x:x eq 'v')
	if prop, ok := strings.CutSuffix(t, "/any"); ok && l.peek() == "(" {
		l.next()
		v1 := l.next()
		expect(l, ":")
		v2 := l.next()
		if v1 != v2 {
			panic(&parseError{"The lambda variable '" + v2 + "' is not defined in '" + l.s + "'."})
		}
		op := strings.ToLower(l.next())
		if op != "eq" {
			panic(&parseError{"Unsupported operator '" + op + "' inside any() in '" + l.s + "'."})
		}
		v := parseLiteral(l)
		expect(l, ")")
		return &node{op: "any", prop: prop, val: v}
	}
	op := strings.ToLower(l.next())
	switch op {
	case "eq", "ne", "ge", "le", "gt", "lt":
		return &node{op: op, prop: t, val: parseLiteral(l)}
	case "in":
		expect(l, "(")
		n := &node{op: "in", prop: t}
		for {
			n.vals = append(n.vals, parseLiteral(l))
			if l.peek() == ")" {
				l.next()
				return n
			}
			expect(l, ",")
		}
	}
	panic(&parseError{"Syntax error: unknown operator '" + op + "' after '" + t + "' in '" + l.s + "'."})
}
