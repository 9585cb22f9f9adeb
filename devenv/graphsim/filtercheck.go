package graphsim

import (
	"strings"
)

// support says how a property supports an operator: 'd' by default, 'a'
// only in advanced queries (ConsistencyLevel: eventual + $count=true).
type support map[string]string

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
	// identifierUris: any with eq (application resource, "Supports $filter
	// (eq, not, ge, le, startsWith)", learn.microsoft.com/graph/api/resources/application).
	"identifieruris": {"any": "d", "not": "a"},
	"id":             {"eq": "d", "in": "d"},
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
