package aircall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// usersPath is the users collection: User V2, since Aircall retires the V1
// user endpoints (docs/aircall.md, "Users").
const usersPath = "/v2/users"

// maxBodyRetries is how often a page whose body broke off midway (a reset
// after the headers) is asked for again.
const maxBodyRetries = 3

// maxSplitDepth bounds the bisection of a created_at window: 2^40 seconds
// is far more than any company's history.
const maxSplitDepth = 40

// Ping implements domain.AircallDirectory.
func (c *Client) Ping(ctx context.Context) error {
	resp, err := c.send(ctx, c.base.String()+"/v1/ping")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return c.statusError(resp.StatusCode, body, "/v1/ping")
	}
	return nil
}

// FindUserByEmail implements domain.AircallDirectory with one GET of
// /v2/users/{email}.
func (c *Client) FindUserByEmail(ctx context.Context, email string) (domain.AircallUser, error) {
	email = strings.TrimSpace(email)
	if email == "" || !strings.Contains(email, "@") {
		return domain.AircallUser{}, domain.Errorf(domain.ENOTFOUND, "aircall: %q is not an email address", email)
	}
	path := usersPath + "/" + url.PathEscape(email)
	resp, err := c.send(ctx, c.base.String()+path)
	if err != nil {
		return domain.AircallUser{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(&capped{r: resp.Body, n: maxPageBytes})
	if err != nil {
		return domain.AircallUser{}, domain.Wrap(domain.EUNAVAILABLE, errors.New(c.scrub(err.Error())), "aircall: reading the answer from %s/{email}", usersPath)
	}
	if resp.StatusCode == http.StatusNotFound {
		return domain.AircallUser{}, domain.Errorf(domain.ENOTFOUND, "aircall: no Aircall user has the email %q", email)
	}
	if resp.StatusCode/100 != 2 {
		return domain.AircallUser{}, c.statusError(resp.StatusCode, body, usersPath+"/{email}")
	}
	var one struct {
		User *wireUser `json:"user"`
	}
	if err := json.Unmarshal(body, &one); err != nil || one.User == nil {
		return domain.AircallUser{}, domain.Errorf(domain.EUPSTREAM, "aircall: %s/{email} answered JSON without a user", usersPath)
	}
	u, err := one.User.toDomain()
	if err != nil {
		return domain.AircallUser{}, domain.Wrap(domain.EUPSTREAM, err, "aircall: %s/{email} answered a malformed user", usersPath)
	}
	if !strings.EqualFold(strings.TrimSpace(u.Email), email) {
		return domain.AircallUser{}, domain.Errorf(domain.ENOTFOUND, "aircall: no Aircall user has the email %q", email)
	}
	return u, nil
}

// ListUsers implements domain.AircallDirectory. A query whose meta.total is
// over RecordCap is not paged: its created_at window is cut in two and each
// half listed the same way (the one page read to learn the total is the
// split's only cost).
func (c *Client) ListUsers(ctx context.Context, w domain.AircallWindow, fn func(*domain.AircallUser) error) error {
	return c.listWindow(ctx, w, fn, 0)
}

func (c *Client) listWindow(ctx context.Context, w domain.AircallWindow, fn func(*domain.AircallUser) error, depth int) error {
	link := c.firstLink(w)
	buf := make([]domain.AircallUser, 0, MaxPerPage)
	for pages := 0; link != ""; pages++ {
		if pages > RecordCap/MaxPerPage+1 {
			return domain.Errorf(domain.EUPSTREAM, "aircall: %s kept paging past %d records", usersPath, RecordCap)
		}
		m, users, err := c.page(ctx, link, buf[:0])
		if err != nil {
			return err
		}
		if pages == 0 && m.Total > RecordCap {
			return c.split(ctx, w, users, fn, depth)
		}
		for i := range users {
			if w.Contains(users[i].CreatedAt) {
				if err := fn(&users[i]); err != nil {
					return err
				}
			}
		}
		if link, err = c.nextLink(m.NextPageLink); err != nil {
			return err
		}
	}
	return nil
}

// split lists w in two halves. first is the window's first page in
// ascending created_at order: an open lower bound starts at its oldest user.
func (c *Client) split(ctx context.Context, w domain.AircallWindow, first []domain.AircallUser, fn func(*domain.AircallUser) error, depth int) error {
	from := w.From
	if from.IsZero() && len(first) > 0 {
		from = first[0].CreatedAt
	}
	to := w.Before
	if to.IsZero() {
		to = c.o.Now().Add(time.Second)
	}
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	mid := from.Add(to.Sub(from) / 2).Truncate(time.Second)
	if depth >= maxSplitDepth || !mid.After(from) || !to.After(mid) {
		return domain.Errorf(domain.EUPSTREAM, "aircall: more than %d Aircall users were created between %s and %s: the API lists at most %d per query and cannot be split further",
			RecordCap, from.Format(time.RFC3339), to.Format(time.RFC3339), RecordCap)
	}
	if err := c.listWindow(ctx, domain.AircallWindow{From: from, Before: mid}, fn, depth+1); err != nil {
		return err
	}
	return c.listWindow(ctx, domain.AircallWindow{From: mid, Before: w.Before}, fn, depth+1)
}

// firstLink is the first page of w, oldest first. The wire filters are
// wider than w (to is the whole second of Before, whether Aircall reads it
// as inclusive or not); ListUsers keeps only the users inside w.
func (c *Client) firstLink(w domain.AircallWindow) string {
	v := url.Values{}
	v.Set("per_page", strconv.Itoa(MaxPerPage))
	v.Set("order", "asc")
	if !w.From.IsZero() {
		v.Set("from", strconv.FormatInt(w.From.Unix(), 10))
	}
	if !w.Before.IsZero() {
		to := w.Before.Unix()
		if !w.Before.Equal(time.Unix(to, 0)) {
			to++
		}
		v.Set("to", strconv.FormatInt(to, 10))
	}
	return c.base.String() + usersPath + "?" + v.Encode()
}

// nextLink checks a next_page_link: it must be on the configured host (the
// credentials go nowhere else) and on the users path.
func (c *Client) nextLink(link string) (string, error) {
	if link == "" {
		return "", nil
	}
	u, err := url.Parse(link)
	if err != nil || !sameHost(u, c.base) || u.Path != usersPath {
		return "", domain.Errorf(domain.EUPSTREAM, "aircall: refusing to follow a next_page_link off %s%s", c.base, usersPath)
	}
	return u.String(), nil
}

// page GETs one list page and decodes it into buf, asking again (at most
// maxBodyRetries times) when the body breaks off midway.
func (c *Client) page(ctx context.Context, link string, buf []domain.AircallUser) (pageMeta, []domain.AircallUser, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, link)
		if err != nil {
			return pageMeta{}, buf, err
		}
		body, err := io.ReadAll(&capped{r: resp.Body, n: maxPageBytes})
		resp.Body.Close()
		switch {
		case errors.Is(err, errTooLarge):
			return pageMeta{}, buf, domain.Wrap(domain.EUPSTREAM, err, "aircall: the answer from %s is larger than %d bytes", usersPath, maxPageBytes)
		case err != nil && attempt < maxBodyRetries && ctx.Err() == nil:
			continue
		case err != nil:
			return pageMeta{}, buf, domain.Wrap(domain.EUNAVAILABLE, errors.New(c.scrub(err.Error())), "aircall: the answer from %s broke off %d times", usersPath, attempt+1)
		case resp.StatusCode/100 != 2:
			return pageMeta{}, buf, c.statusError(resp.StatusCode, body, usersPath)
		}
		m, users, err := decodePage(body, MaxPerPage, buf)
		if err != nil {
			return m, buf, domain.Wrap(domain.EUPSTREAM, errors.New(c.scrub(err.Error())), "aircall: %s answered with JSON that is not an Aircall users page", usersPath)
		}
		return m, users, nil
	}
}

// send GETs target through the pipeline and returns the answer, whatever
// its status, with the body unread.
func (c *Client) send(ctx context.Context, target string) (*http.Response, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, target)
	if err != nil {
		return nil, domain.Wrap(domain.EINTERNAL, err, "aircall: build the request")
	}
	runtime.SkipBodyDownload(req)
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.pl.Do(req)
	if err != nil {
		cause := errors.New(c.scrub(err.Error()))
		switch {
		case errors.Is(err, errOffHost):
			return nil, domain.Wrap(domain.EUPSTREAM, cause, "aircall: refused a link off the configured base URL %s", c.base)
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return nil, domain.Wrap(domain.EUNAVAILABLE, cause, "aircall: request cancelled or timed out")
		}
		return nil, domain.Wrap(domain.EUNAVAILABLE, cause, "aircall: Aircall unreachable after retries")
	}
	return resp, nil
}

// statusError maps an error answer to the domain vocabulary.
func (c *Client) statusError(status int, body []byte, path string) error {
	var e struct {
		Error        string `json:"error"`
		Troubleshoot string `json:"troubleshoot"`
	}
	_ = json.Unmarshal(body, &e)
	detail := c.scrub(truncate(strings.TrimSpace(e.Error+" "+e.Troubleshoot), 300))
	msg := fmt.Sprintf("aircall: %s answered %d %s", path, status, detail)
	switch {
	case status == http.StatusUnauthorized:
		return &domain.Error{Code: domain.EUPSTREAM, Field: SettingAPIID + "/" + SettingAPIToken, Err: domain.ErrAircallCredentials,
			Message: msg + " — Aircall refused the API key: check " + SettingAPIID + " and " + SettingAPIToken + " (Aircall Company settings → Integrations & API → API Keys)"}
	case status == http.StatusForbidden:
		return domain.Errorf(domain.EFORBIDDEN, "%s — the API key may not read users", msg)
	case status == http.StatusTooManyRequests || status >= 500 || status == http.StatusRequestTimeout:
		return domain.Errorf(domain.EUNAVAILABLE, "%s (still failing after retries)", msg)
	case status == http.StatusNotFound && path == usersPath:
		return domain.Errorf(domain.EUPSTREAM, "%s — has Aircall moved the users list? (docs/aircall.md)", msg)
	case status/100 == 3:
		return domain.Errorf(domain.EUPSTREAM, "%s — redirects are not followed (the credentials stay on %s)", msg, c.base)
	}
	return domain.Errorf(domain.EUPSTREAM, "%s", msg)
}

// scrub removes the credentials from a text that may echo them.
func (c *Client) scrub(s string) string {
	for _, v := range c.secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[REDACTED]")
		}
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
