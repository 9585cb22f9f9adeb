package aircall_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/devenv/aircallsim"
	"github.com/identity-ops/aircall-entra-sso/handler/aircall"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

const (
	testID    = "TESTAPIID0123456789"
	testToken = "TESTAPITOKENabcdefghijklmn"
)

// fakeAPI serves handler as an Aircall API on loopback.
func fakeAPI(t *testing.T, handler http.HandlerFunc) *aircall.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c, err := aircall.New(aircall.Options{BaseURL: srv.URL, APIID: testID, APIToken: testToken, RateLimit: 1000, RateWindow: time.Second,
		Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: time.Second, TryTimeout: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func usersPage(n int, next string) string {
	var b strings.Builder
	b.WriteString(`{"users":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"U%d","email":"u%d@example.com","created_at":"2024-01-01T00:00:%02d.000Z"}`, i+1, i, i, i%60)
	}
	link := "null"
	if next != "" {
		link = `"` + next + `"`
	}
	fmt.Fprintf(&b, `],"meta":{"count":%d,"total":%d,"current_page":1,"per_page":50,"next_page_link":%s,"previous_page_link":null}}`, n, n, link)
	return b.String()
}

func listErr(c *aircall.Client) error {
	return c.ListUsers(context.Background(), domain.AircallWindow{}, func(*domain.AircallUser) error { return nil })
}

// Hostile or broken answers end in a clear EUPSTREAM error, never a panic
// or a partial silent success; links and redirects off the configured host
// are not followed, so the credentials never reach another host.
func TestHostileAnswers(t *testing.T) {
	var evilHits atomic.Int32
	var evilAuth atomic.Bool
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			evilAuth.Store(true)
		}
		_, _ = w.Write([]byte(usersPage(1, "")))
	}))
	defer evil.Close()

	for _, tc := range []struct {
		name, want string
		serve      http.HandlerFunc
	}{
		{"malformed JSON", "not an Aircall users page", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"users":[{"id":1,`)) }},
		{"not a page", "not an Aircall users page", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"calls":[]}`)) }},
		{"bad created_at", "not an Aircall users page", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"users":[{"id":1,"email":"a@b.c","created_at":"yesterday"}],"meta":{}}`))
		}},
		{"oversized body", "larger than", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"users":[],"padding":"` + strings.Repeat("x", 2<<20) + `"}`))
		}},
		{"too many users", "not an Aircall users page", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(usersPage(51, ""))) }},
		{"next link to another host", "refusing to follow a next_page_link", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(usersPage(2, evil.URL+"/v2/users?page=2")))
		}},
		{"next link with user info", "refusing to follow a next_page_link", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(usersPage(2, "http://x@"+r.Host+"/v2/users?page=2")))
		}},
		{"next link elsewhere on the host", "refusing to follow a next_page_link", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(usersPage(2, "http://"+r.Host+"/v1/calls?page=2")))
		}},
		{"redirect to another host", "redirects are not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, evil.URL+"/v2/users", http.StatusFound)
		}},
		{"endless paging", "kept paging", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(usersPage(1, "http://"+r.Host+"/v2/users?page=9")))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := listErr(fakeAPI(t, tc.serve))
			if !domain.IsCode(err, domain.EUPSTREAM) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ListUsers = %v, want EUPSTREAM saying %q", err, tc.want)
			}
		})
	}
	if evilHits.Load() != 0 || evilAuth.Load() {
		t.Errorf("the other host got %d requests (credentials: %v), want none", evilHits.Load(), evilAuth.Load())
	}
}

func TestNewRefusesUnsafeSettings(t *testing.T) {
	for _, tc := range []struct {
		o     aircall.Options
		field string
	}{
		{aircall.Options{APIToken: "t"}, "AIRCALL_API_ID/AIRCALL_API_TOKEN"},
		{aircall.Options{APIID: "i"}, "AIRCALL_API_ID/AIRCALL_API_TOKEN"},
		{aircall.Options{APIID: "i", APIToken: "t", BaseURL: "http://api.aircall.io"}, "AIRCALL_API_BASE_URL"},
		{aircall.Options{APIID: "i", APIToken: "t", BaseURL: "https://user:pw@api.aircall.io"}, "AIRCALL_API_BASE_URL"},
		{aircall.Options{APIID: "i", APIToken: "t", BaseURL: "api.aircall.io"}, "AIRCALL_API_BASE_URL"},
	} {
		_, err := aircall.New(tc.o)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tc.field {
			t.Errorf("New(%+v) = %v, want EINVALID on %s", tc.o, err, tc.field)
		}
	}
	if _, err := aircall.New(aircall.Options{APIID: "i", APIToken: "t"}); err != nil {
		t.Errorf("New with the default base URL = %v", err)
	}
}

// Bad credentials give an error naming both settings, that callers can
// recognise to say the Aircall checks are off.
func TestBadCredentialsNameTheSettings(t *testing.T) {
	srv := newSim(t, aircallsim.GenerateUsers(1, 10, time.Now().Add(-time.Hour), time.Minute), 0)
	c := newClient(t, srv, func(o *aircall.Options) { o.APIToken = "wrong-token" })
	ctx := context.Background()
	_, findErr := c.FindUserByEmail(ctx, "user1@example.com")
	for name, err := range map[string]error{"Ping": c.Ping(ctx), "ListUsers": listErr(c), "FindUserByEmail": findErr} {
		if !errors.Is(err, domain.ErrAircallCredentials) || !domain.IsCode(err, domain.EUPSTREAM) {
			t.Errorf("%s = %v, want EUPSTREAM wrapping ErrAircallCredentials", name, err)
			continue
		}
		if msg := domain.ErrorMessage(err); !strings.Contains(msg, "AIRCALL_API_ID") || !strings.Contains(msg, "AIRCALL_API_TOKEN") {
			t.Errorf("%s message %q does not name AIRCALL_API_ID and AIRCALL_API_TOKEN", name, msg)
		}
	}
}

// A try that hangs is cut by the per-try timeout and retried.
func TestPerTryTimeout(t *testing.T) {
	var calls atomic.Int32
	c := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		_, _ = w.Write([]byte(usersPage(3, "")))
	})
	start := time.Now()
	if err := listErr(c); err != nil || calls.Load() != 2 {
		t.Errorf("ListUsers = %v after %d calls, want success on the second", err, calls.Load())
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s: the per-try timeout did not cut the hanging try", d)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The API ID and token never appear in azcore's request log, in the
// simulator's slog output or in error messages, even on 401, 429 and
// server errors; the Authorization header is logged as REDACTED.
func TestSecretsNeverLogged(t *testing.T) {
	var azBuf, slogBuf syncBuffer
	azlog.SetListener(func(ev azlog.Event, msg string) { _, _ = azBuf.Write([]byte(string(ev) + ": " + msg + "\n")) })
	t.Cleanup(func() { azlog.SetListener(nil) })

	srv := aircallsim.New(aircallsim.Options{APIID: testID, APIToken: testToken, Limit: 100000, Window: time.Second,
		Users: aircallsim.GenerateUsers(2, 120, time.Now().Add(-time.Hour), time.Minute), Logger: slog.New(slog.NewTextHandler(&slogBuf, nil))})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.FailNext(1, 429)
	srv.FailNext(1, 503)
	ctx := context.Background()
	var errs []error
	good := newClient(t, srv, nil)
	errs = append(errs, good.Ping(ctx), listErr(good))
	_, err := good.FindUserByEmail(ctx, "user3@example.com")
	errs = append(errs, err)
	bad := newClient(t, srv, func(o *aircall.Options) { o.APIToken = testToken + "x" })
	errs = append(errs, bad.Ping(ctx))
	// An error page that echoes the Authorization header back.
	echo := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"Bad","troubleshoot":"you sent %s"}`, r.Header.Get("Authorization"))
	})
	errs = append(errs, echo.Ping(ctx))

	basic := base64.StdEncoding.EncodeToString([]byte(testID + ":" + testToken))
	texts := map[string]string{"azcore log": azBuf.String(), "slog": slogBuf.String()}
	for i, e := range errs {
		if e != nil {
			texts[fmt.Sprintf("error %d", i)] = e.Error()
		}
	}
	for where, text := range texts {
		for _, secret := range []string{testID, testToken, basic, basic[:20]} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains a credential (%q…)", where, secret[:6])
			}
		}
	}
	if !strings.Contains(azBuf.String(), "Authorization: REDACTED") {
		t.Errorf("azcore's log has no redacted Authorization header; the test did not see the requests:\n%.2000s", azBuf.String())
	}
}
