// Package browser gives tests a real browser: headless Chromium driven
// through the Chrome DevTools Protocol (github.com/chromedp/chromedp), with
// a watch on the page's console errors, uncaught exceptions and requests.
//
// It is test support only; the production binary never imports it. When
// Chromium is missing, Start installs Debian's chromium package if it runs
// as root with apt-get; otherwise the test is skipped with a clear message,
// or fails under CI=true or DEVENV_REQUIRED=1 so CI never passes without
// the browser check. It must not reach any network beyond the page the test
// serves (and apt, for the install).
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// candidates are the Chromium executables Find looks for on PATH, in order,
// before /usr/bin/chromium.
const candidates = "chromium chromium-browser google-chrome google-chrome-stable"

// Find returns the path of a Chromium executable, or "" when none is
// installed.
func Find() string {
	for _, name := range strings.Fields(candidates) {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium"
	}
	return ""
}

// Ensure returns Chromium's path. When it is missing and the test runs as
// root with apt-get, it installs Debian's chromium package; otherwise it
// skips the test, or fails it under CI=true or DEVENV_REQUIRED=1.
func Ensure(t testing.TB) string {
	t.Helper()
	if p := Find(); p != "" {
		return p
	}
	why := "Chromium is not installed (looked for " + strings.ReplaceAll(candidates, " ", ", ") + " on PATH and /usr/bin/chromium)"
	if err := install(t); err != nil {
		why += "; " + err.Error()
	} else if p := Find(); p != "" {
		return p
	}
	why += ": install Debian's chromium package (apt-get install --no-install-recommends chromium), or run the test as root with apt-get so it installs it"
	if os.Getenv("DEVENV_REQUIRED") == "1" || os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
	return ""
}

// install runs apt-get when it can: as root, with apt-get on PATH.
func install(t testing.TB) error {
	if os.Geteuid() != 0 {
		return errors.New("not root, so the test does not install it")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("apt-get is not available to install it")
	}
	t.Log("Chromium is missing: installing Debian's chromium package with apt-get")
	for _, args := range [][]string{
		{"-o", "DPkg::Lock::Timeout=300", "update"},
		{"-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends", "chromium"},
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s failed: %v\n%s", strings.Join(args, " "), err, tail(out.String(), 2000))
		}
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Start starts headless Chromium with a 1280×900 window and returns the
// context of its first tab, for chromedp.Run and chromedp.Do. The browser
// lives until timeout, or until the test ends: a generous bound for the
// whole test, not a synchronisation.
func Start(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := Ensure(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1280, 900),
		// Containers rarely allow Chromium's sandbox (and root never
		// does); the browser only opens the page the test serves.
		chromedp.NoSandbox,
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
	})
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return tab
}

// Watch records what went wrong on the tab of ctx from now on: console
// errors and failed assertions, uncaught exceptions and error entries of the
// browser log (a failed load, a blocked resource), and the URL of every
// request. Call it before navigating.
func Watch(t testing.TB, ctx context.Context) *Problems {
	t.Helper()
	p := &Problems{}
	if err := chromedp.Listen(ctx, p.event); err != nil {
		t.Fatalf("watch the console: %v", err)
	}
	return p
}

// Problems is what Watch saw. Listen calls event on the tab's reader before
// the reply to any later command, so once a command returned, every
// earlier event is recorded.
type Problems struct {
	mu       sync.Mutex
	errors   []string
	requests []string
}

func (p *Problems) event(ev any) {
	var msg, url string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "uncaught exception: " + exceptionText(e.ExceptionDetails)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			msg = "console." + string(e.Type) + ": " + argsText(e.Args)
		}
	case *log.EventEntryAdded:
		if e.Entry != nil && e.Entry.Level == log.EntryLevelError {
			msg = "browser log (" + string(e.Entry.Source) + "): " + e.Entry.Text + " " + e.Entry.URL
		}
	case *network.EventRequestWillBeSent:
		if e.Request != nil {
			url = e.Request.URL
		}
	}
	if msg == "" && url == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if msg != "" {
		p.errors = append(p.errors, strings.TrimSpace(msg))
	}
	if url != "" {
		p.requests = append(p.requests, url)
	}
}

// Errors returns the console errors, exceptions and browser log errors seen.
func (p *Problems) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Requests returns the URLs the page requested, in order.
func (p *Problems) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return s
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if a == nil {
			continue
		}
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			var str string
			if json.Unmarshal(a.Value, &str) == nil {
				parts = append(parts, str)
			} else {
				parts = append(parts, string(a.Value))
			}
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// ScreenshotTop takes a PNG screenshot of the page's top, height CSS pixels
// of it at the full width, beyond the viewport if need be: the part of a
// long page a reader sees first.
func ScreenshotTop(height float64) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		width, err := chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)(ctx, t)
		if err != nil {
			return nil, err
		}
		yes := true
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: &yes, FromSurface: &yes,
			Clip: &page.Viewport{Width: width, Height: math.Round(height), Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}

// EmulateMedia makes CSS media queries see media, e.g. "print" to check a
// page's print styles; "" ends the emulation.
func EmulateMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}
