package graphapi_test

import (
	"errors"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

// FuzzParseFailure feeds arbitrary error bodies (outside input) to the
// failure parser: it never panics, walks at most a bounded number of
// nested innerError levels, and a 5xx is never taken for an expired delta
// token whatever the body says.
func FuzzParseFailure(f *testing.F) {
	f.Add(400, []byte(`{"error":{"code":"badRequest","message":"x","innerError":{"code":"syncStateNotFound"}}}`))
	f.Add(410, []byte(`{"error":{"code":"gone"}}`))
	f.Add(500, []byte(`{"error":{"code":"a","innererror":{"code":"b","innererror":{"code":"resyncRequired"}}}}`))
	f.Add(404, []byte(`{"error":`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		fl := graphapi.ParseFailure(status, "", body)
		if len(fl.Inner) > 8 {
			t.Fatalf("walked %d inner levels", len(fl.Inner))
		}
		err := fl.Err(nil, "GET /x", "User.Read.All")
		if status >= 500 && errors.Is(err, domain.ErrDeltaExpired) {
			t.Fatalf("a %d was taken for an expired delta token", status)
		}
	})
}
