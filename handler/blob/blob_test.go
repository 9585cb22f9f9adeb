package blob_test

import (
	"bytes"
	"compress/gzip"
	"context"
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

// A stored Aircall snapshot that is not what we wrote is EUPSTREAM with a
// message that says what to do; never a panic or a partial snapshot.
func TestAircallUsersCorrupt(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.EnsureContainer(ctx); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"not gzip":         []byte(`{"users":[]}`),
		"gzip, not JSON":   gz(t, []byte("<users/>")),
		"a user not a row": gz(t, []byte(`{"takenAt":"2026-11-30T02:00:00Z","users":[{"id":1}]}`)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.ContainerClient().NewBlockBlobClient("aircall/users.json.gz").UploadBuffer(ctx, body, nil); err != nil {
				t.Fatal(err)
			}
			snap, _, err := s.AircallUsers().LoadAircallUsers(ctx)
			if !domain.IsCode(err, domain.EUPSTREAM) || snap != nil || !strings.Contains(err.Error(), "delete it") {
				t.Fatalf("got %v, %v; want EUPSTREAM saying what to do", snap, err)
			}
		})
	}
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
