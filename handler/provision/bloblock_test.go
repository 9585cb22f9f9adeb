package provision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
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
	creates := applyConcurrently(t, job, 20)
	if n := len(dir.Apps()); n != 1 || creates != 1 {
		t.Fatalf("%d apps and %d create steps after 20 concurrent applies; want 1 and 1", n, creates)
	}
}

// A blob lease broken mid-apply (another process breaks it, as an operator
// or a stuck run's successor would, through the real Blob API on Azurite):
// the holder's next renewal fails, the apply context is cancelled, and the
// write under way and every later one are not made.
func TestBlobLeaseBrokenMidApply(t *testing.T) {
	conn := devtest.BlobConnectionString(t)
	container := devtest.UniqueName("prov-")
	store, err := blob.New(blob.Options{ConnectionString: conn, Container: container})
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientFromConnectionString(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := lease.NewBlobClient(client.ServiceClient().NewContainerClient(container).NewBlobClient("locks/"+provision.LockName), nil)
	if err != nil {
		t.Fatal(err)
	}
	job, dir := newJob(t)
	job.Lock, job.LockTTL = store.Lock(), 15*time.Second
	dir.OnCall("PatchServicePrincipal", func(ctx context.Context) {
		if _, err := lc.BreakLease(context.Background(), &lease.BlobBreakOptions{BreakPeriod: to.Ptr[int32](0)}); err != nil {
			t.Errorf("break the lease: %v", err)
			return
		}
		<-ctx.Done() // the next renewal (within 5 s) fails and cancels the apply
	})
	_, err = job.Apply(context.Background(), provision.Request{})
	if !domain.IsCode(err, domain.ECONFLICT) || !strings.Contains(err.Error(), "Not done yet: sso-mode") {
		t.Fatalf("apply after the lease was broken: got %v, want ECONFLICT stopping at sso-mode", err)
	}
	if app := dir.Apps()[0]; app.SSOMode != "" || dir.Calls("PatchApplication") != 0 || dir.Calls("AddSigningCertificate") != 0 {
		t.Fatalf("writes after the lease was broken: %+v", app)
	}
}
