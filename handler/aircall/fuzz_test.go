package aircall

import (
	"testing"
	"time"
)

// FuzzDecodePage feeds arbitrary bytes to the page decoder: it must return
// an error or a page, never panic, never more users than asked for, and
// every user it returns has a positive id and a creation time. The seed
// corpus is in testdata/fuzz/FuzzDecodePage (run by plain go test).
func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`{"users":[{"id":1,"name":"A","email":"a@b.c","created_at":"2024-01-01T00:00:00.000Z"}],"meta":{"count":1,"total":1,"current_page":1,"per_page":50,"next_page_link":null,"previous_page_link":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, users, err := decodePage(data, MaxPerPage, nil)
		if err != nil {
			return
		}
		if len(users) > MaxPerPage || m.Total < 0 || m.Count < 0 {
			t.Fatalf("%d users, meta %+v", len(users), m)
		}
		for _, u := range users {
			if u.ID <= 0 || u.CreatedAt.IsZero() || u.CreatedAt.Location() != time.UTC {
				t.Fatalf("user %+v", u)
			}
		}
	})
}
