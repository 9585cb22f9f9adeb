package provision_test

import (
	"context"
	"sync"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// 20 concurrent applies with the production lock (a blob lease, over
// Azurite) create exactly one app, and every caller gets an answer.
func TestConcurrentApplyWithBlobLease(t *testing.T) {
	store, err := blob.New(blob.Options{ConnectionString: devtest.BlobConnectionString(t), Container: devtest.UniqueName("prov-")})
	if err != nil {
		t.Fatal(err)
	}
	job, dir := newJob(t)
	job.Lock = store.Lock()
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	creates := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := job.Apply(ctx, provision.Request{})
			if err != nil {
				t.Errorf("apply: %v", err)
				return
			}
			for _, s := range res.Steps {
				if s.Kind == provision.StepCreateApp {
					mu.Lock()
					creates++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if n := len(dir.Apps()); n != 1 || creates != 1 {
		t.Fatalf("%d apps and %d create steps after 20 concurrent applies; want 1 and 1", n, creates)
	}
}
