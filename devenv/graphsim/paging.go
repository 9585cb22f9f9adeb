package graphsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// pageToken is the position a $skiptoken carries.
type pageToken struct {
	// Explicit counts the list's explicit entries served (objects created
	// through the API or by tests, in a stable order).
	Explicit int `json:"e,omitempty"`
	// Gen is the index of the next generated user to consider (lists that
	// hold generated users after the explicit entries).
	Gen int `json:"g,omitempty"`
	// Key and ID are the last user served (/users, in key order).
	Key string `json:"k,omitempty"`
	ID  string `json:"i,omitempty"`
	// Delta is the round state of users/delta.
	Delta *deltaState `json:"d,omitempty"`
}

func (p pageToken) encode() string {
	b, _ := json.Marshal(p)
	return b64url(b)
}

func decodePageToken(s string) (pageToken, bool) {
	var p pageToken
	raw, err := unb64url(s)
	if err != nil || json.Unmarshal(raw, &p) != nil || p.Explicit < 0 || p.Gen < 0 {
		return pageToken{}, false
	}
	return p, true
}

// skipToken reads the request's $skiptoken (the zero position when there
// is none); a token the simulator did not issue is a 400.
func (q *query) skipToken() (pageToken, *graphError) {
	s := q.get("skiptoken")
	if s == "" {
		return pageToken{}, nil
	}
	p, ok := decodePageToken(s)
	if !ok {
		return pageToken{}, badRequest("Invalid skip token '%s'.", s)
	}
	return p, nil
}

// listPage is one page of a list being written.
type listPage struct {
	context string // @odata.context
	count   int    // @odata.count, or -1 for none
	items   []byte // the values, comma-separated JSON objects
	// next is the position of the next page, nil on the last one.
	next *pageToken
	// deltaLink ends the last page of a delta round instead of nothing.
	deltaLink string
	// nextRaw, when set, is the next link as is (groups/delta).
	nextRaw string
}

// writePage writes {"@odata.context", ["@odata.count"],
// ["@odata.nextLink" | "@odata.deltaLink"], "value"} with status 200.
func (c *call) writePage(p listPage) {
	bp := getBuf()
	b := append((*bp)[:0], `{"@odata.context":`...)
	b = appendJSONString(b, p.context)
	if p.count >= 0 {
		b = append(b, `,"@odata.count":`...)
		b = strconv.AppendInt(b, int64(p.count), 10)
	}
	switch {
	case p.nextRaw != "":
		b = append(b, `,"@odata.nextLink":`...)
		b = appendJSONString(b, p.nextRaw)
	case p.next != nil:
		b = append(b, `,"@odata.nextLink":`...)
		b = appendJSONString(b, c.nextLink(*p.next))
	case p.deltaLink != "":
		b = append(b, `,"@odata.deltaLink":`...)
		b = appendJSONString(b, p.deltaLink)
	}
	b = append(b, `,"value":[`...)
	b = append(b, p.items...)
	b = append(b, "]}"...)
	writeJSON(c.w, 200, b)
	putBuf(bp, b)
}

// nextLink is the link to the page at tok: the request's URL with
// $skiptoken replaced. A delta round's state lives in its token, so delta
// links carry nothing else, as Graph's do (learn.microsoft.com/graph/delta-query-overview).
func (c *call) nextLink(tok pageToken) string {
	if tok.Delta != nil {
		return c.base + "/" + c.version + "/users/delta?$skiptoken=" + tok.encode()
	}
	return nextLink(c.base, c.r, tok.encode())
}

// nextLink is the request's URL on base with skiptoken replaced.
func nextLink(base string, r *http.Request, skiptoken string) string {
	v := r.URL.Query()
	v.Del("$skiptoken")
	v.Del("skiptoken")
	v.Set("$skiptoken", skiptoken)
	return base + r.URL.Path + "?" + encodeQuery(v)
}

// encodeQuery encodes like url.Values.Encode but keeps $ , ( ) ' readable,
// as Graph's own links do.
func encodeQuery(v url.Values) string {
	s := v.Encode()
	return strings.NewReplacer("+", "%20", "%24", "$", "%2C", ",", "%28", "(", "%29", ")", "%27", "'").Replace(s)
}

// jsonItems marshals values as the comma-separated items of a page.
func jsonItems(values []map[string]any) []byte {
	var b []byte
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		raw, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		b = append(b, raw...)
	}
	return b
}

// nextPos is &pos when more entries follow, else nil (the last page).
func nextPos(more bool, pos pageToken) *pageToken {
	if !more {
		return nil
	}
	return &pos
}
