package blob_test

import (
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// newStore returns a Store on a fresh container in Azurite.
func newStore(t *testing.T) *blob.Store {
	t.Helper()
	s, err := blob.New(blob.Options{ConnectionString: devtest.BlobConnectionString(t), Container: devtest.UniqueName("t-")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLockConformance(t *testing.T) {
	porttest.Lock(t, func(t *testing.T) domain.Lock { return newStore(t).Lock() })
}

func TestCheckpointConformance(t *testing.T) {
	porttest.CheckpointStore(t, func(t *testing.T) domain.CheckpointStore { return newStore(t).Checkpoints() })
}

func TestMissingSettings(t *testing.T) {
	if _, err := blob.New(blob.Options{Container: "x-y-z"}); !domain.IsCode(err, domain.EINVALID) {
		t.Fatalf("no URL and no connection string: got %v, want EINVALID", err)
	}
	_, err := blob.New(blob.Options{ConnectionString: "AccountKey=c2VjcmV0;garbage", Container: "abc"})
	if err == nil {
		t.Fatal("malformed connection string accepted")
	}
	if got := err.Error(); strings.Contains(got, "c2VjcmV0") {
		t.Fatalf("error leaks the account key: %s", got)
	}
}

func TestPinStoreConformance(t *testing.T) {
	porttest.PinStore(t, func(t *testing.T) domain.PinStore { return newStore(t).Pins() })
}

func TestDeliveriesConformance(t *testing.T) {
	porttest.DeliveryLog(t, func(t *testing.T) domain.DeliveryLog { return newStore(t).Deliveries() })
}

func TestAircallUsersConformance(t *testing.T) {
	porttest.AircallSnapshotStore(t, func(t *testing.T) domain.AircallSnapshotStore { return newStore(t).AircallUsers() })
}
