package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestAircallSnapshotsConformance(t *testing.T) {
	porttest.AircallSnapshotStore(t, func(t *testing.T) domain.AircallSnapshotStore { return &inmem.AircallSnapshots{} })
}
