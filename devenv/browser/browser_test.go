package browser

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWatchSeesErrors checks the watch itself: a clean page reports
// nothing, a broken one its console error, its uncaught exception and its
// failed load, so "no problems" in other tests means something.
func TestWatchSeesErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/clean":
			_, _ = w.Write([]byte(`<!doctype html><link rel="icon" href="data:,"><title>clean</title><p id="ok">fine</p>`))
		case "/broken":
			_, _ = w.Write([]byte(`<!doctype html><link rel="icon" href="data:,"><title>broken</title><img src="/missing.png">
<script>console.error("boom-console"); setTimeout(function(){ throw new Error("boom-exception") }, 0)</script><p id="ok">loaded</p>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := Start(t, 2*time.Minute)

	clean := Watch(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/clean"), chromedp.WaitVisible(chromedp.ID("ok"))); err != nil {
		t.Fatal(err)
	}
	if errs := clean.Errors(); len(errs) != 0 {
		t.Errorf("clean page: problems %q, want none", errs)
	}
	if reqs := clean.Requests(); len(reqs) != 1 || reqs[0] != srv.URL+"/clean" {
		t.Errorf("clean page: requests %q, want only the page", reqs)
	}

	broken := Watch(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/broken"), chromedp.WaitVisible(chromedp.ID("ok"))); err != nil {
		t.Fatal(err)
	}
	// The exception is thrown by a timer: wait for it through the page's
	// own event loop (a promise that settles after it), not a sleep.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => r(true), 0))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(broken.Errors(), "\n")
	for _, want := range []string{"console.error: boom-console", "uncaught exception", "boom-exception", "missing.png"} {
		if !strings.Contains(all, want) {
			t.Errorf("broken page: problems\n%s\nwant one with %q", all, want)
		}
	}
}

func TestFind(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if p := Find(); p != "" && p != "/usr/bin/chromium" {
		t.Errorf("Find with an empty PATH = %q, want \"\" or /usr/bin/chromium", p)
	}
}
