// Command loadgen sends signed Zendesk webhooks at a fixed rate (open loop:
// requests leave on schedule whether or not earlier ones have answered) and
// prints latency percentiles as one JSON line. It is the "separate load
// process" of the webhook benchmark; it only targets loopback addresses.
//
//	loadgen -url http://127.0.0.1:PORT/api/webhooks/zendesk -key FUNCTION_KEY \
//	        -secret SECRET -rate 200 -duration 10s -users ann@contoso.com,bob@contoso.com
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// Result is what loadgen prints.
type Result struct {
	Sent     int         `json:"sent"`
	OK       int         `json:"ok"`
	Errors   int         `json:"errors"`
	Statuses map[int]int `json:"statuses"`
	RateRPS  float64     `json:"rateRps"`
	P50ms    float64     `json:"p50ms"`
	P90ms    float64     `json:"p90ms"`
	P99ms    float64     `json:"p99ms"`
	MaxMs    float64     `json:"maxMs"`
}

func main() {
	target := flag.String("url", "", "webhook URL (loopback only)")
	key := flag.String("key", "", "function key (x-functions-key)")
	secret := flag.String("secret", "", "Zendesk signing secret")
	rate := flag.Float64("rate", 200, "requests per second")
	dur := flag.Duration("duration", 10*time.Second, "how long to send")
	warm := flag.Duration("warmup", 2*time.Second, "warm-up sent first and not measured")
	users := flag.String("users", "ann@contoso.com", "comma-separated users to ask about, round robin")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || !isLoopback(u.Hostname()) {
		fmt.Fprintln(os.Stderr, "loadgen: -url must be an http URL on a loopback address")
		os.Exit(2)
	}
	us := strings.Split(*users, ",")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}}
	if *warm > 0 {
		drive(client, *target, *key, *secret, us, *rate, *warm)
	}
	res := drive(client, *target, *key, *secret, us, *rate, *dur)
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func isLoopback(h string) bool {
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}

func drive(client *http.Client, target, key, secret string, users []string, rate float64, dur time.Duration) Result {
	n := int(rate * dur.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	lat := make([]time.Duration, n)
	status := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			user := users[i%len(users)]
			body := fmt.Sprintf(`{"ticket":{"id":%d,"requester":{"email":%q}}}`, 1000+i, user)
			req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
			req.Header = webhook.Sign(webhook.Zendesk, []byte(secret), time.Now(), []byte(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("x-functions-key", key)
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				status[i] = -1
				lat[i] = time.Since(t0)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat[i] = time.Since(t0)
			status[i] = resp.StatusCode
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := Result{Sent: n, Statuses: map[int]int{}, RateRPS: float64(n) / elapsed.Seconds()}
	for _, s := range status {
		r.Statuses[s]++
		if s == 200 {
			r.OK++
		} else {
			r.Errors++
		}
	}
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	pct := func(p float64) float64 {
		if len(sorted) == 0 {
			return 0
		}
		i := int(p * float64(len(sorted)-1))
		return float64(sorted[i].Microseconds()) / 1000
	}
	r.P50ms, r.P90ms, r.P99ms, r.MaxMs = pct(0.50), pct(0.90), pct(0.99), pct(1)
	return r
}
