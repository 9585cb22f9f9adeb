package provision_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
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
	creates := applyConcurrently(t, job, 20)
	if n := len(dir.Apps()); n != 1 || creates != 1 {
		t.Fatalf("%d apps and %d create steps after 20 concurrent applies; want 1 and 1", n, creates)
	}
}
