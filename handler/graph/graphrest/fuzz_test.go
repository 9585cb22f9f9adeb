package graphrest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// FuzzWalkPage feeds arbitrary bytes to the page walker: it must return an
// error or a page, never panic or loop, and never call back more often than
// the page has elements.
func FuzzWalkPage(f *testing.F) {
	for _, s := range []string{
		`{"@odata.context":"x","@odata.nextLink":"https://g/v1.0/users?$skiptoken=a","value":[{"id":"1","userPrincipalName":"a@b","mail":null,"accountEnabled":true}]}`,
		`{"value":[],"@odata.deltaLink":"https://g/v1.0/users/delta?$deltatoken=x"}`,
		`{"@odata.count":3,"value":[{"id":"1","@removed":{"reason":"changed"}}],"extra":{"a":[1,2,{"b":null}]}}`,
		`{"value":[{"id":1}]}`, `[]`, `{"value":[`, `{"@odata.count":"x"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		calls := 0
		info, _, err := walkPage(json.NewDecoder(bytes.NewReader(data)), eachUser(func(u *domain.User) error {
			calls++
			return nil
		}, nil))
		if err == nil && calls != info.Items {
			t.Fatalf("%d callbacks for %d items", calls, info.Items)
		}
	})
}
