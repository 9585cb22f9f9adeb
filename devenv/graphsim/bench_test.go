package graphsim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// BenchmarkUsersPage measures the server's cost of one 999-user page of a
// 1,000,000-user tenant (handler only, no network): the simulator's share
// of a scan benchmark.
func BenchmarkUsersPage(b *testing.B) {
	srv := graphsim.New(graphsim.Options{Seed: 1, Users: 1_000_000, Mix: graphsim.Mix{UPNMismatch: 0.05, Guests: 0.03}})
	tok, _ := srv.Credential().GetToken(context.Background(), policy.TokenRequestOptions{})
	h := srv.Handler()
	paths := []string{"/v1.0/users?$select=id,userPrincipalName,mail,accountEnabled,userType,displayName&$top=999"}
	// Start pages all over the tenant.
	for _, p := range []string{"c", "j", "m", "s", "y"} {
		paths = append(paths, "/v1.0/users?$select=id,userPrincipalName,mail,accountEnabled,userType,displayName&$top=999&$filter=startswith(userPrincipalName,'"+p+"')")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", paths[i%len(paths)], nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "nextLink") {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*999), "ns/user")
}

// TestMillionUserTenantIsSmall checks that a 1,000,000-user tenant costs
// little memory (users are generated on demand).
func TestMillionUserTenantIsSmall(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ten := graphsim.GenerateTenant(1, 1_000_000, graphsim.Mix{UPNMismatch: 0.05, DirectAssigned: 0.1, GroupAssigned: 0.2})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("a 1M-user tenant holds %d KiB of heap, want < 1 MiB", grew>>10)
	}
	if u, ok := ten.User(ten.Truth(999_999).User.UserPrincipalName); !ok || u.ID != ten.Truth(999_999).User.ID {
		t.Errorf("lookup by UPN in a 1M tenant failed")
	}
}
