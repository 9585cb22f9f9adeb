package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestLockConformance(t *testing.T) {
	porttest.Lock(t, func(*testing.T) domain.Lock { return inmem.NewLock() })
}

func TestCheckpointConformance(t *testing.T) {
	porttest.CheckpointStore(t, func(*testing.T) domain.CheckpointStore { return inmem.NewCheckpoints() })
}

func TestPinStoreConformance(t *testing.T) {
	porttest.PinStore(t, func(*testing.T) domain.PinStore { return &inmem.Pins{} })
}
