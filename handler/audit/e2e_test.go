package audit_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

// realFixture runs the audit on the real adapters: Blob (Azurite) for
// checkpoints, reports and the outbox, and the Service Bus publisher on the
// peer.
type realFixture struct {
	*fixture
	store *blob.Store
	peer  *devtest.SBPeer
	queue string
	pub   *servicebus.Publisher
}

func newRealFixture(t *testing.T, peer *devtest.SBPeer, seed int64, users int) *realFixture {
	t.Helper()
	sim := graphsim.Start(t, graphsim.Options{Seed: seed, Users: users, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	store, err := blob.New(blob.Options{ConnectionString: devtest.BlobConnectionString(t), Container: devtest.UniqueName("audit-")})
	if err != nil {
		t.Fatal(err)
	}
	queue := peer.NewQueue(t, devtest.QueueOptions{})
	pub, err := servicebus.New(servicebus.Options{ConnectionString: peer.ConnectionString, Queue: queue, Outbox: store.Outbox(),
		Retry:       azservicebus.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 200 * time.Millisecond},
		SendTimeout: 5 * time.Second, OutboxCheckInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close(context.Background()) })
	f.job.Checkpoints = store.Checkpoints()
	f.job.Events, f.job.Outbox = pub, pub
	f.job.Reports = store.Reports()
	f.job.Lock = store.Lock()
	return &realFixture{fixture: f, store: store, peer: peer, queue: queue, pub: pub}
}

// receive reads every message waiting in the queue with a real
// azservicebus receiver, completes them, and returns their events.
func receive(t *testing.T, peer *devtest.SBPeer, queue string) []domain.Event {
	t.Helper()
	return peer.ReceiveEvents(t, queue)
}

func lines(t *testing.T, evs []domain.Event) []string {
	t.Helper()
	return devtest.EventLines(t, evs)
}

func TestEventsReceivedFromServiceBus(t *testing.T) {
	peer := devtest.SharedPeer(t)
	f := newRealFixture(t, peer, 101, 3000)
	want := expected(f.sim, domain.ScopeAssigned)

	rep := f.run(t, audit.Request{})
	evs := receive(t, peer, f.queue)
	diff(t, "events received from the peer", lines(t, evs), want)

	// Content: a UPN ≠ mail user's event carries the exact claim value.
	for _, e := range evs {
		if e.Type != domain.EventType(domain.FindingUPNMismatch) {
			continue
		}
		var d domain.EventData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.User == nil || d.EmailClaim != d.User.UserPrincipalName || d.Severity != domain.SeverityWarning || e.Source != domain.EventSource {
			t.Errorf("upn-mismatch event content: %+v (user %+v)", d, d.User)
		}
		break
	}
	if len(rep.Locations) != 3 {
		t.Errorf("report stored at %v, want three files", rep.Locations)
	}

	// Rerun: nothing delivered twice (none sent, none dropped as duplicates).
	before := peer.Queue(t, f.queue).Stats
	f.run(t, audit.Request{})
	f.run(t, audit.Request{Full: true})
	if got := receive(t, peer, f.queue); len(got) != 0 {
		t.Errorf("reruns delivered %d events", len(got))
	}
	if after := peer.Queue(t, f.queue).Stats; after.Received != before.Received || after.Duplicates != before.Duplicates {
		t.Errorf("reruns sent messages: received %d→%d, duplicates %d→%d", before.Received, after.Received, before.Duplicates, after.Duplicates)
	}
}

func TestServiceBusDownGoesToOutboxThenDrains(t *testing.T) {
	peer := devtest.StartPeer(t)
	f := newRealFixture(t, peer, 111, 2000)
	want := expected(f.sim, domain.ScopeAssigned)

	peer.Down(t)
	rep := f.run(t, audit.Request{})
	if !rep.Complete || rep.Published != len(want) {
		t.Fatalf("run with Service Bus down: complete=%v published=%d, want %d set aside", rep.Complete, rep.Published, len(want))
	}
	pending, err := f.store.Outbox().Pending(context.Background())
	if err != nil || len(pending) == 0 {
		t.Fatalf("outbox after the outage: %d entries, %v", len(pending), err)
	}
	held := 0
	for _, k := range pending {
		evs, err := f.store.Outbox().Load(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		held += len(evs)
	}
	if held != len(want) {
		t.Errorf("outbox holds %d events, want %d", held, len(want))
	}

	peer.Up(t)
	f.run(t, audit.Request{}) // the next run drains the outbox first
	diff(t, "events drained from the outbox", lines(t, receive(t, peer, f.queue)), want)
	if pending, _ := f.store.Outbox().Pending(context.Background()); len(pending) != 0 {
		t.Errorf("%d outbox entries left after the drain", len(pending))
	}
}
