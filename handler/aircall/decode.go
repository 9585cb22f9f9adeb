package aircall

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// maxPageBytes caps one answer: a page of 50 users is a few tens of KiB.
const maxPageBytes = 1 << 20

// errTooLarge is returned by a capped reader past its cap.
var errTooLarge = errors.New("answer larger than 1 MiB")

// capped reads at most n bytes, then fails with errTooLarge.
type capped struct {
	r io.Reader
	n int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n <= 0 {
		var one [1]byte
		if k, _ := c.r.Read(one[:]); k > 0 {
			return 0, errTooLarge
		}
		return c.r.Read(p)
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

// pageMeta is the meta object of a list answer.
type pageMeta struct {
	Count        int    `json:"count"`
	Total        int    `json:"total"`
	CurrentPage  int    `json:"current_page"`
	PerPage      int    `json:"per_page"`
	NextPageLink string `json:"next_page_link"`
}

// wireUser is a user as Aircall sends it; other fields are skipped.
type wireUser struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	CreatedAt string `json:"created_at"`
}

func (w *wireUser) toDomain() (domain.AircallUser, error) {
	t, err := time.Parse(time.RFC3339Nano, w.CreatedAt)
	if err != nil {
		return domain.AircallUser{}, fmt.Errorf("user %d: created_at %q is not an RFC 3339 time", w.ID, w.CreatedAt)
	}
	if w.ID <= 0 {
		return domain.AircallUser{}, fmt.Errorf("user without a positive id")
	}
	return domain.AircallUser{ID: w.ID, Name: w.Name, Email: w.Email, CreatedAt: t.UTC()}, nil
}

// decodePage decodes {"users":[…], "meta":{…}} (other keys ignored) and
// appends the users to buf; a page of more than maxUsers users is refused.
// The whole page is read and decoded before anyone sees a user, so a page
// whose body breaks off can be asked for again without handing a user twice.
func decodePage(body []byte, maxUsers int, buf []domain.AircallUser) (pageMeta, []domain.AircallUser, error) {
	var page struct {
		Users *[]wireUser `json:"users"`
		Meta  pageMeta    `json:"meta"` // a null link decodes as ""
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return pageMeta{}, buf, err
	}
	if page.Users == nil {
		return pageMeta{}, buf, errors.New(`no "users" array`)
	}
	if len(*page.Users) > maxUsers {
		return pageMeta{}, buf, fmt.Errorf("%d users in one page, more than the %d asked for", len(*page.Users), maxUsers)
	}
	m := page.Meta
	if m.Total < 0 || m.Count < 0 {
		return m, buf, errors.New("negative count or total in meta")
	}
	for i := range *page.Users {
		u, err := (*page.Users)[i].toDomain()
		if err != nil {
			return m, buf, err
		}
		buf = append(buf, u)
	}
	return m, buf, nil
}
