package graphsim

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// userField is one selectable user property.
type userField struct {
	name string
	def  bool // returned without $select
	put  func(b []byte, u *User) []byte
	// empty reports whether the value is unset (omitted in delta items).
	empty func(u *User) bool
}

func strOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

var userFields = []userField{
	{name: "businessPhones", def: true, put: func(b []byte, u *User) []byte { return append(b, "[]"...) }, empty: func(*User) bool { return true }},
	{name: "displayName", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.DisplayName) }, empty: func(u *User) bool { return u.DisplayName == "" }},
	{name: "givenName", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.GivenName) }, empty: func(u *User) bool { return u.GivenName == "" }},
	{name: "jobTitle", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.JobTitle) }, empty: func(u *User) bool { return u.JobTitle == "" }},
	{name: "mail", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.Mail) }, empty: func(u *User) bool { return u.Mail == "" }},
	{name: "mobilePhone", def: true, put: func(b []byte, u *User) []byte { return append(b, "null"...) }, empty: func(*User) bool { return true }},
	{name: "officeLocation", def: true, put: func(b []byte, u *User) []byte { return append(b, "null"...) }, empty: func(*User) bool { return true }},
	{name: "preferredLanguage", def: true, put: func(b []byte, u *User) []byte { return append(b, "null"...) }, empty: func(*User) bool { return true }},
	{name: "surname", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.Surname) }, empty: func(u *User) bool { return u.Surname == "" }},
	{name: "userPrincipalName", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.UserPrincipalName) }, empty: func(u *User) bool { return u.UserPrincipalName == "" }},
	{name: "id", def: true, put: func(b []byte, u *User) []byte { return appendJSONString(b, u.ID) }, empty: func(*User) bool { return false }},
	{name: "accountEnabled", put: func(b []byte, u *User) []byte { return strconv.AppendBool(b, u.AccountEnabled) }, empty: func(*User) bool { return false }},
	{name: "userType", put: func(b []byte, u *User) []byte { return strOrNull(b, u.UserType) }, empty: func(u *User) bool { return u.UserType == "" }},
	{name: "proxyAddresses", put: func(b []byte, u *User) []byte {
		b = append(b, '[')
		for i, p := range u.ProxyAddresses {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, p)
		}
		return append(b, ']')
	}, empty: func(u *User) bool { return len(u.ProxyAddresses) == 0 }},
	{name: "onPremisesImmutableId", put: func(b []byte, u *User) []byte { return strOrNull(b, u.OnPremisesImmutableID) }, empty: func(u *User) bool { return u.OnPremisesImmutableID == "" }},
}

// userFieldIndex finds a field by name (case-insensitive).
func userFieldIndex(name string) int {
	for i, f := range userFields {
		if strings.EqualFold(f.name, name) {
			return i
		}
	}
	return -1
}

// userSelection resolves $select into fields (defaults when empty).
func userSelection(sel []string) ([]*userField, *graphError) {
	var out []*userField
	if len(sel) == 0 {
		for i := range userFields {
			if userFields[i].def {
				out = append(out, &userFields[i])
			}
		}
		return out, nil
	}
	for _, s := range sel {
		i := userFieldIndex(s)
		if i < 0 {
			return nil, errf(400, "Request_BadRequest", "Could not find a property named '%s' on type 'microsoft.graph.user'.", s)
		}
		out = append(out, &userFields[i])
	}
	return out, nil
}

// userProp returns a user's property for filters.
func userProp(u *User, p string) any {
	switch strings.ToLower(p) {
	case "id":
		return u.ID
	case "userprincipalname":
		return u.UserPrincipalName
	case "mail":
		return u.Mail
	case "displayname":
		return u.DisplayName
	case "givenname":
		return u.GivenName
	case "surname":
		return u.Surname
	case "accountenabled":
		return u.AccountEnabled
	case "usertype":
		return u.UserType
	}
	return nil
}

// appendUser writes u as a JSON object with fields; omitEmpty leaves unset
// values out (delta).
func appendUser(b []byte, u *User, fields []*userField, omitEmpty, withID bool, odataType string) []byte {
	b = append(b, '{')
	first := true
	comma := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if odataType != "" {
		comma()
		b = append(b, `"@odata.type":`...)
		b = appendJSONString(b, odataType)
	}
	hasID := false
	for _, f := range fields {
		if omitEmpty && f.empty(u) {
			continue
		}
		if f.name == "id" {
			hasID = true
		}
		comma()
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, `":`...)
		b = f.put(b, u)
	}
	if withID && !hasID {
		comma()
		b = append(b, `"id":`...)
		b = appendJSONString(b, u.ID)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '"')
}

// bufPool recycles page buffers (a 999-user page is about 250 KB).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// putBuf returns the (possibly grown) buffer b to the pool through p.
func putBuf(p *[]byte, b []byte) {
	if cap(b) > 4<<20 {
		return
	}
	*p = b[:0]
	bufPool.Put(p)
}
