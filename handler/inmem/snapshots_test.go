package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestSnapshotConformance(t *testing.T) {
	porttest.SnapshotStore(t, func(*testing.T) domain.SnapshotStore { return inmem.NewSnapshots() })
}
