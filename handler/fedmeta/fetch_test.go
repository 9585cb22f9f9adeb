package fedmeta_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
)

const appID = "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"

func TestFetch(t *testing.T) {
	doc := []byte("\xEF\xBB\xBF<EntityDescriptor/>")
	tests := []struct {
		name     string
		answers  []func(w http.ResponseWriter)
		wantErr  domain.Code
		problem  fedmeta.Problem
		wantHits int32
	}{
		{"ok first time", []func(http.ResponseWriter){ok(doc)}, "", "", 1},
		{"503 then ok", []func(http.ResponseWriter){status(503, ""), ok(doc)}, "", "", 2},
		{"429 with Retry-After then ok", []func(http.ResponseWriter){status(429, "1"), ok(doc)}, "", "", 2},
		{"always 500: three attempts then EUPSTREAM", []func(http.ResponseWriter){status(500, ""), status(500, ""), status(500, ""), ok(doc)}, domain.EUPSTREAM, fedmeta.ProblemHTTPStatus, 3},
		{"always 503: three attempts then EUNAVAILABLE", []func(http.ResponseWriter){status(503, ""), status(503, ""), status(503, ""), ok(doc)}, domain.EUNAVAILABLE, fedmeta.ProblemHTTPStatus, 3},
		{"404 is not retried", []func(http.ResponseWriter){status(404, ""), ok(doc)}, domain.ENOTFOUND, fedmeta.ProblemHTTPStatus, 1},
		{"400 is not retried", []func(http.ResponseWriter){status(400, ""), ok(doc)}, domain.EUPSTREAM, fedmeta.ProblemHTTPStatus, 1},
		{"10 MiB with Content-Length", []func(http.ResponseWriter){ok(bytes.Repeat([]byte("x"), 10<<20))}, domain.EUPSTREAM, fedmeta.ProblemTooLarge, 1},
		{"10 MiB chunked", []func(http.ResponseWriter){chunked(10 << 20)}, domain.EUPSTREAM, fedmeta.ProblemTooLarge, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			var gotURL string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := hits.Add(1)
				gotURL = r.URL.String()
				tt.answers[n-1](w)
			}))
			defer srv.Close()
			f := &fedmeta.Fetcher{Authority: srv.URL + "/", Backoff: 10 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond}
			got, err := f.Fetch(context.Background(), domain.AppRef{Tenant: tenant, AppID: appID})
			if hits.Load() != tt.wantHits {
				t.Errorf("%d requests, want %d", hits.Load(), tt.wantHits)
			}
			if want := "/" + tenant + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + appID; gotURL != want {
				t.Errorf("requested %s, want %s", gotURL, want)
			}
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got.Body, doc) {
					t.Fatalf("got %v, %q", err, got)
				}
				return
			}
			if !domain.IsCode(err, tt.wantErr) || fedmeta.ProblemOf(err) != tt.problem {
				t.Fatalf("got %v (code %s, problem %s), want %s/%s", err, domain.ErrorCode(err), fedmeta.ProblemOf(err), tt.wantErr, tt.problem)
			}
			if !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error does not name the URL: %v", err)
			}
		})
	}
}

func TestFetchUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	f := &fedmeta.Fetcher{Authority: url, Backoff: time.Millisecond}
	_, err := f.Fetch(context.Background(), domain.AppRef{Tenant: tenant, AppID: appID})
	if !domain.IsCode(err, domain.EUNAVAILABLE) || fedmeta.ProblemOf(err) != fedmeta.ProblemUnreachable {
		t.Fatalf("got %v, want EUNAVAILABLE unreachable", err)
	}
	if msg := domain.ErrorMessage(err); !strings.Contains(msg, "LOGIN_AUTHORITY") {
		t.Errorf("message %q does not say what to check", msg)
	}
}

func TestFetchTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	f := &fedmeta.Fetcher{Authority: srv.URL, Timeout: 50 * time.Millisecond, Attempts: 2, Backoff: time.Millisecond}
	start := time.Now()
	_, err := f.Fetch(context.Background(), domain.AppRef{Tenant: tenant, AppID: appID})
	if !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Fatalf("got %v, want EUNAVAILABLE", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s: the per-attempt timeout was not applied", d)
	}
}

func TestFetchRefusesBadAppRef(t *testing.T) {
	f := &fedmeta.Fetcher{Authority: "https://login.microsoftonline.com"}
	_, err := f.Fetch(context.Background(), domain.AppRef{Tenant: tenant, AppID: "../x"})
	if !domain.IsCode(err, domain.EINVALID) {
		t.Fatalf("got %v, want EINVALID", err)
	}
}

func ok(b []byte) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(b)
	}
}

func status(code int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
	}
}

func chunked(n int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		chunk := bytes.Repeat([]byte("y"), 64<<10)
		for i := 0; i < n/len(chunk); i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

// TestFetchRedirects: a redirect on the same scheme and host is followed; one
// that changes host (another port included) or scheme is refused without
// contacting the other server, and not retried.
func TestFetchRedirects(t *testing.T) {
	doc := []byte("\xEF\xBB\xBF<EntityDescriptor/>")
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		_, _ = w.Write(doc)
	}))
	defer other.Close()
	tests := []struct {
		name    string
		to      func(self string) string
		problem fedmeta.Problem
	}{
		{"same host, another path: followed", func(self string) string { return self + "/moved" }, ""},
		{"another host (port)", func(string) string { return other.URL + "/moved" }, fedmeta.ProblemRedirect},
		{"another host (name)", func(self string) string { return strings.Replace(self, "127.0.0.1", "localhost", 1) + "/moved" }, fedmeta.ProblemRedirect},
		{"another scheme (http to https; https to http alike)", func(self string) string { return strings.Replace(self, "http://", "https://", 1) + "/moved" }, fedmeta.ProblemRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			var self string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if r.URL.Path == "/moved" {
					_, _ = w.Write(doc)
					return
				}
				http.Redirect(w, r, tt.to(self), http.StatusFound)
			}))
			defer srv.Close()
			self = srv.URL
			otherHits.Store(0)
			f := &fedmeta.Fetcher{Authority: srv.URL, Backoff: time.Millisecond, Client: &http.Client{}}
			got, err := f.Fetch(context.Background(), domain.AppRef{Tenant: tenant, AppID: appID})
			if tt.problem == "" {
				if err != nil || !bytes.Equal(got.Body, doc) {
					t.Fatalf("got %v", err)
				}
				return
			}
			if fedmeta.ProblemOf(err) != tt.problem || !domain.IsCode(err, domain.EUPSTREAM) || !strings.Contains(domain.ErrorMessage(err), "scheme or host") {
				t.Fatalf("got %v (problem %q), want EUPSTREAM %s", err, fedmeta.ProblemOf(err), tt.problem)
			}
			if hits.Load() != 1 || otherHits.Load() != 0 {
				t.Fatalf("%d requests to the authority, %d to the other host; want 1 and 0 (no retry, not followed)", hits.Load(), otherHits.Load())
			}
		})
	}
}
