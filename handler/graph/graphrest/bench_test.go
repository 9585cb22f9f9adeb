package graphrest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
)

// The scan benchmarks read N users (BENCH_USERS, default 100,000) served in
// 999-user pages by a server in its own process (this test binary re-run as
// TestReplayServer) that replays pre-rendered Graph pages, so the client
// process's CPU is the client's alone, with three clients:
//
//	pager  this package (azcore pipeline: bearer token, retry; streaming decode)
//	plain  net/http + encoding/json streaming decode, no pipeline: the baseline
//	sdk    msgraph-sdk-go users.Get + msgraph-sdk-go-core PageIterator
//
// Client CPU is the process's user+system CPU time (getrusage) per user.
// BenchmarkScanRatios runs the three in one benchmark, interleaved, and
// reports pager/plain and sdk/pager: run it with
//
//	go test ./handler/graph/graphrest -run XXX -bench ScanRatios -benchtime 3x

func benchUsers() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// replay serves /v1.0/users: page k of total, from a few pre-rendered
// bodies of 999 Graph-shaped users each.
type replay struct {
	srv   *httptest.Server
	users int
	pages int
	value [][]byte
}

func newReplay(tb testing.TB, n int) *replay {
	tb.Helper()
	r := &replay{users: n, pages: (n + 998) / 999}
	type u struct {
		ID                string   `json:"id"`
		UserPrincipalName string   `json:"userPrincipalName"`
		Mail              *string  `json:"mail"`
		DisplayName       string   `json:"displayName"`
		AccountEnabled    bool     `json:"accountEnabled"`
		UserType          string   `json:"userType"`
		ProxyAddresses    []string `json:"proxyAddresses"`
	}
	for p := 0; p < 8; p++ {
		list := make([]u, 999)
		for i := range list {
			k := p*999 + i
			upn := fmt.Sprintf("Person.Number%06d@contoso.com", k)
			mail := &upn
			switch k % 20 {
			case 0:
				mail = nil
			case 1:
				m := fmt.Sprintf("pn%06d@contoso.fr", k)
				mail = &m
			}
			// Mailboxes have their primary SMTP address; some an alias too.
			proxies := []string{}
			if mail != nil {
				proxies = append(proxies, "SMTP:"+*mail)
				if k%20 == 1 {
					proxies = append(proxies, "smtp:"+upn)
				}
			}
			list[i] = u{ID: fmt.Sprintf("%08x-1111-4222-8333-%012x", k, k*7919), UserPrincipalName: upn, Mail: mail,
				DisplayName: fmt.Sprintf("Person Number%06d", k), AccountEnabled: k%30 != 0, UserType: "Member", ProxyAddresses: proxies}
		}
		b, _ := json.Marshal(list)
		r.value = append(r.value, b)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.srv.Close)
	return r
}

// replayURL starts the replay server for n users in a child process (this
// test binary running TestReplayServer) and returns its URL; the child
// stops when the benchmark ends.
func replayURL(tb testing.TB, n int) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplayServer$")
	cmd.Env = append(os.Environ(), "BULK_REPLAY_USERS="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "REPLAY-URL "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return u
		}
	}
	tb.Fatalf("the replay server printed no URL: %v", sc.Err())
	return ""
}

// TestReplayServer is the replay server's process for the scan benchmarks:
// skipped unless BULK_REPLAY_USERS is set; serves until its stdin closes.
func TestReplayServer(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("BULK_REPLAY_USERS"))
	if err != nil || n <= 0 {
		t.Skip("the scan benchmarks' server process")
	}
	r := newReplay(t, n)
	fmt.Println("REPLAY-URL " + r.srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func (r *replay) serve(w http.ResponseWriter, req *http.Request) {
	k, _ := strconv.Atoi(req.URL.Query().Get("$skiptoken"))
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	var b strings.Builder
	b.WriteString(`{"@odata.context":"` + r.srv.URL + `/v1.0/$metadata#users(id,userPrincipalName,mail,displayName,accountEnabled,userType,proxyAddresses)"`)
	if k+1 < r.pages {
		b.WriteString(`,"@odata.nextLink":"` + r.srv.URL + `/v1.0/users?$select=` + graphrest.UserSelect + `&$top=999&$skiptoken=` + strconv.Itoa(k+1) + `"`)
	}
	b.WriteString(`,"value":`)
	_, _ = w.Write([]byte(b.String()))
	v := r.value[k%len(r.value)]
	if k == r.pages-1 && r.users%999 != 0 {
		// The last page holds the remainder: cut the array after that many objects.
		v = cutArray(v, r.users%999)
	}
	_, _ = w.Write(v)
	_, _ = w.Write([]byte("}"))
}

// cutArray keeps the first n objects of a JSON array of flat objects.
func cutArray(v []byte, n int) []byte {
	depth, seen := 0, 0
	for i, c := range v {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				seen++
				if seen == n {
					return append(append([]byte{}, v[:i+1]...), ']')
				}
			}
		}
	}
	return v
}

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "bench-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// scanner reads every user once and returns how many it saw.
type scanner func(ctx context.Context) (int, error)

func pagerScan(tb testing.TB, base string) scanner {
	c, err := graphrest.New(graphrest.Options{BaseURL: base, Credential: staticCred{}})
	if err != nil {
		tb.Fatal(err)
	}
	return func(ctx context.Context) (int, error) {
		n, link := 0, ""
		for {
			info, err := c.ListUsers(ctx, domain.UserRange{}, link, func(u *domain.User) error {
				if u.ID != "" {
					n++
				}
				return nil
			})
			if err != nil || info.Next == "" {
				return n, err
			}
			link = info.Next
		}
	}
}

// plainScan is the baseline: one http.Client, a streaming encoding/json
// decode of each page into one reused struct.
func plainScan(base string) scanner {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	type user struct {
		ID                string   `json:"id"`
		UserPrincipalName string   `json:"userPrincipalName"`
		Mail              string   `json:"mail"`
		DisplayName       string   `json:"displayName"`
		AccountEnabled    bool     `json:"accountEnabled"`
		UserType          string   `json:"userType"`
		ProxyAddresses    []string `json:"proxyAddresses"`
	}
	return func(ctx context.Context) (int, error) {
		n := 0
		next := base + "/v1.0/users?$select=" + graphrest.UserSelect + "&$top=999"
		var u user
		for next != "" {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
			req.Header.Set("Authorization", "Bearer bench-token")
			resp, err := hc.Do(req)
			if err != nil {
				return n, err
			}
			dec := json.NewDecoder(resp.Body)
			next = ""
			_, _ = dec.Token()
			for dec.More() {
				t, _ := dec.Token()
				switch t {
				case "value":
					_, _ = dec.Token()
					for dec.More() {
						u = user{ProxyAddresses: u.ProxyAddresses[:0]}
						if err := dec.Decode(&u); err != nil {
							resp.Body.Close()
							return n, err
						}
						if u.ID != "" {
							n++
						}
					}
					_, _ = dec.Token()
				case "@odata.nextLink":
					_ = dec.Decode(&next)
				default:
					var skip json.RawMessage
					_ = dec.Decode(&skip)
				}
			}
			resp.Body.Close()
		}
		return n, nil
	}
}

var registerKiota sync.Once

// sdkScan is msgraph-sdk-go's way: users.Get with $select/$top, then the
// core PageIterator, on the SDK's default middleware.
func sdkScan(tb testing.TB, base string) scanner {
	registerKiota.Do(func() {
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return textser.NewTextSerializationWriterFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return textser.NewTextParseNodeFactory() })
	})
	opts := core.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	adapter, err := core.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		&absauth.AnonymousAuthenticationProvider{}, opts, nil, nil, core.GetDefaultClient(&opts))
	if err != nil {
		tb.Fatal(err)
	}
	adapter.SetBaseUrl(base + "/v1.0")
	top := int32(999)
	return func(ctx context.Context) (int, error) {
		rb := users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": base + "/v1.0"}, adapter)
		resp, err := rb.Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
			Select: strings.Split(graphrest.UserSelect, ","), Top: &top}})
		if err != nil {
			return 0, err
		}
		it, err := core.NewPageIterator[models.Userable](resp, adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
		if err != nil {
			return 0, err
		}
		n := 0
		err = it.Iterate(ctx, func(u models.Userable) bool {
			if u.GetId() != nil {
				n++
			}
			return true
		})
		return n, err
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs scan once and returns CPU and mallocs.
func measure(tb testing.TB, scan scanner, want int) (time.Duration, uint64) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := cpuTime()
	n, err := scan(context.Background())
	c1 := cpuTime()
	runtime.ReadMemStats(&m1)
	if err != nil || n != want {
		tb.Fatalf("scan read %d users (%v), want %d", n, err, want)
	}
	return c1 - c0, m1.Mallocs - m0.Mallocs
}

func BenchmarkScan(b *testing.B) {
	n := benchUsers()
	url := replayURL(b, n)
	for _, v := range []struct {
		name string
		scan scanner
	}{{"pager", pagerScan(b, url)}, {"plain", plainScan(url)}, {"sdk", sdkScan(b, url)}} {
		b.Run(v.name, func(b *testing.B) {
			var cpu time.Duration
			var allocs uint64
			for i := 0; i < b.N; i++ {
				c, a := measure(b, v.scan, n)
				cpu += c
				allocs += a
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/user")
			b.ReportMetric(float64(allocs)/float64(b.N*n), "allocs/user")
		})
	}
}

// BenchmarkScanRatios measures the three clients in one run, interleaved,
// and reports the ratios the design targets: pager/plain ≤ 1.2 and
// sdk/pager ≥ 10.
func BenchmarkScanRatios(b *testing.B) {
	n := benchUsers()
	url := replayURL(b, n)
	scans := []scanner{pagerScan(b, url), plainScan(url), sdkScan(b, url)}
	for _, s := range scans { // warm connections and caches
		measure(b, s, n)
	}
	cpu := make([]time.Duration, 3)
	allocs := make([]uint64, 3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, s := range scans {
			c, a := measure(b, s, n)
			cpu[k] += c
			allocs[k] += a
		}
	}
	per := func(k int) float64 { return float64(cpu[k].Nanoseconds()) / float64(b.N*n) }
	b.ReportMetric(per(0), "pager-cpu-ns/user")
	b.ReportMetric(per(1), "plain-cpu-ns/user")
	b.ReportMetric(per(2), "sdk-cpu-ns/user")
	b.ReportMetric(float64(allocs[0])/float64(b.N*n), "pager-allocs/user")
	b.ReportMetric(float64(allocs[2])/float64(b.N*n), "sdk-allocs/user")
	b.ReportMetric(per(0)/per(1), "pager/plain")
	b.ReportMetric(per(2)/per(0), "sdk/pager")
}
