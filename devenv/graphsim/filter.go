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

// support says how a property supports an operator: 'd' by default, 'a'
// only in advanced queries (ConsistencyLevel: eventual + $count=true).
type support map[string]string // op -> "d" | "a"

// userFilters lists, per user property, the $filter operators Microsoft's
// documentation says work, and which need the advanced query parameters.
// Sources: the user resource's property table (api-reference/v1.0/resources/
// user.md: userPrincipalName "Supports $filter (eq, ne, not, ge, le, in,
// startsWith, endsWith)", mail "(eq, ne, not, ge, le, in, startsWith,
// endsWith, and eq on null values)", userType "(eq, ne, not, in, and eq on
// null values)", accountEnabled "(eq, ne, not, and in)"), and the advanced
// query page (concepts/aad-advanced-queries.md): ne, not and endsWith are
// advanced only; "in" works by default wherever eq does; eq on null values
// is advanced for userType. gt and lt are documented for no user property
// and are refused, so a sharded scan must use startsWith or ge/le ranges.
var userFilters = map[string]support{
	"id":                {"eq": "d", "in": "d", "ne": "a", "not": "a"},
	"userprincipalname": {"eq": "d", "in": "d", "startswith": "d", "ge": "d", "le": "d", "ne": "a", "not": "a", "endswith": "a"},
	"mail":              {"eq": "d", "in": "d", "startswith": "d", "ge": "d", "le": "d", "ne": "a", "not": "a", "endswith": "a", "null": "d"},
	"displayname":       {"eq": "d", "in": "d", "startswith": "d", "ne": "a", "not": "a", "null": "a"},
	"givenname":         {"eq": "d", "in": "d", "startswith": "d", "ge": "d", "le": "d", "ne": "a", "null": "a"},
	"surname":           {"eq": "d", "in": "d", "startswith": "d", "ge": "d", "le": "d", "ne": "a", "null": "a"},
	"accountenabled":    {"eq": "d", "in": "d", "ne": "a", "not": "a"},
	"usertype":          {"eq": "d", "in": "d", "ne": "a", "not": "a", "null": "a"},
}

// objectFilters lists what the simulator accepts on applications and
// service principals: displayName (eq, startsWith), appId (eq, in), tags
// (any with eq), as the application and servicePrincipal resource tables
// document.
var objectFilters = map[string]support{
	"displayname": {"eq": "d", "in": "d", "startswith": "d", "ne": "a", "not": "a"},
	"appid":       {"eq": "d", "in": "d", "ne": "a", "not": "a"},
	"tags":        {"any": "d", "not": "a"},
	"id":          {"eq": "d", "in": "d"},
}

// checkFilter validates n against table; resource names the type for
// messages ("User").
func checkFilter(n *node, table map[string]support, resource string, adv bool) *graphError {
	return walkCheck(n, table, resource, adv, false)
}

func walkCheck(n *node, table map[string]support, resource string, adv, negated bool) *graphError {
	switch n.op {
	case "or", "and":
		if e := walkCheck(n.left, table, resource, adv, negated); e != nil {
			return e
		}
		return walkCheck(n.right, table, resource, adv, negated)
	case "not":
		return walkCheck(n.left, table, resource, adv, true)
	}
	sup, ok := table[strings.ToLower(n.prop)]
	if !ok {
		return unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", n.prop, resource)
	}
	ops := []string{n.op}
	if n.op == "eq" && n.val.kind == "null" {
		ops = []string{"null"}
	}
	if n.op == "ne" && n.val.kind == "null" {
		ops = []string{"ne", "null"}
	}
	if negated {
		ops = append(ops, "not")
	}
	for _, op := range ops {
		lvl, ok := sup[op]
		if !ok {
			return unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", n.prop, resource)
		}
		if lvl == "a" && !adv {
			name := op
			if op == "null" {
				name = "eq null"
			}
			return unsupportedQuery("Operator '%s' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", name)
		}
	}
	return nil
}

// eval evaluates n against an object's properties (get returns a
// property's value: string, bool, nil, or []string for collections).
// String comparisons ignore case, as directory queries do.
func eval(n *node, get func(prop string) any) bool {
	switch n.op {
	case "or":
		return eval(n.left, get) || eval(n.right, get)
	case "and":
		return eval(n.left, get) && eval(n.right, get)
	case "not":
		return !eval(n.left, get)
	case "any":
		for _, s := range strs(get(n.prop)) {
			if strings.EqualFold(s, n.val.s) {
				return true
			}
		}
		return false
	case "in":
		v := get(n.prop)
		for _, x := range n.vals {
			if equalValue(v, x) {
				return true
			}
		}
		return false
	}
	v := get(n.prop)
	switch n.op {
	case "eq":
		return equalValue(v, n.val)
	case "ne":
		return !equalValue(v, n.val)
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return false
	}
	s, x := strings.ToLower(s), strings.ToLower(n.val.s)
	switch n.op {
	case "startswith":
		return strings.HasPrefix(s, x)
	case "endswith":
		return strings.HasSuffix(s, x)
	case "ge":
		return s >= x
	case "le":
		return s <= x
	case "gt":
		return s > x
	case "lt":
		return s < x
	}
	return false
}

func equalValue(v any, x value) bool {
	switch x.kind {
	case "null":
		s, isStr := v.(string)
		return v == nil || (isStr && s == "")
	case "bool":
		b, ok := v.(bool)
		return ok && b == x.b
	case "string":
		s, ok := v.(string)
		return ok && strings.EqualFold(s, x.s)
	}
	return false
}

// upnRange returns the [lo, hi) range of lower-case UPN keys outside of
// which n cannot match ("" hi = no end), so a scan can start and stop
// early.
func upnRange(n *node) (lo, hi string) {
	switch n.op {
	case "and":
		l1, h1 := upnRange(n.left)
		l2, h2 := upnRange(n.right)
		lo = max(l1, l2)
		hi = h1
		if hi == "" || (h2 != "" && h2 < hi) {
			hi = h2
		}
		return lo, hi
	case "or":
		l1, h1 := upnRange(n.left)
		l2, h2 := upnRange(n.right)
		lo = min(l1, l2)
		if h1 == "" || h2 == "" {
			return lo, ""
		}
		return lo, max(h1, h2)
	}
	if !strings.EqualFold(n.prop, "userPrincipalName") || n.val.kind != "string" {
		return "", ""
	}
	x := strings.ToLower(n.val.s)
	switch n.op {
	case "startswith":
		return x, x + "\xff"
	case "eq":
		return x, x + "\x00"
	case "ge":
		return x, ""
	case "le":
		return "", x + "\x00"
	}
	return "", ""
}

// isRangeOnly reports whether n is exactly a userPrincipalName range that
// upnRange captures (startswith, ge, le, eq, joined by and).
func isRangeOnly(n *node) bool {
	switch n.op {
	case "and":
		return isRangeOnly(n.left) && isRangeOnly(n.right)
	case "startswith", "ge", "le", "eq":
		return strings.EqualFold(n.prop, "userPrincipalName") && n.val.kind == "string"
	}
	return false
}

// eqKeys reports whether n only ORs equality tests on userPrincipalName or
// mail against strings (the one-user lookup), and returns the values.
func eqKeys(n *node) (upns, mails []string, ok bool) {
	switch n.op {
	case "or":
		u1, m1, ok1 := eqKeys(n.left)
		u2, m2, ok2 := eqKeys(n.right)
		return append(u1, u2...), append(m1, m2...), ok1 && ok2
	case "eq":
		if n.val.kind != "string" {
			return nil, nil, false
		}
		switch {
		case strings.EqualFold(n.prop, "userPrincipalName"):
			return []string{n.val.s}, nil, true
		case strings.EqualFold(n.prop, "mail"):
			return nil, []string{n.val.s}, true
		}
	}
	return nil, nil, false
}
