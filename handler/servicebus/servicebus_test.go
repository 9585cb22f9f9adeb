package servicebus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

// fast retries keep outage tests short; production uses the defaults.
var fast = azservicebus.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 200 * time.Millisecond}

func publisher(t *testing.T, o servicebus.Options) *servicebus.Publisher {
	t.Helper()
	if o.Retry == (azservicebus.RetryOptions{}) {
		o.Retry = fast
	}
	if o.SendTimeout == 0 {
		o.SendTimeout = 10 * time.Second
	}
	p, err := servicebus.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// received decodes messages read back from the queue, checking the message
// envelope the publisher promises.
func received(t *testing.T, msgs []*azservicebus.ReceivedMessage) []domain.Event {
	t.Helper()
	out := make([]domain.Event, 0, len(msgs))
	for _, m := range msgs {
		var e domain.Event
		if err := json.Unmarshal(m.Body, &e); err != nil {
			t.Fatalf("message %s is not a CloudEvent: %v", m.MessageID, err)
		}
		if m.MessageID != e.ID || m.ContentType == nil || *m.ContentType != servicebus.ContentType ||
			m.Subject == nil || *m.Subject != e.Type || m.ApplicationProperties["type"] != e.Type || m.ApplicationProperties["subject"] != e.Subject {
			t.Fatalf("message envelope of event %s: MessageID %q ContentType %v Subject %v props %v", e.ID, m.MessageID, m.ContentType, m.Subject, m.ApplicationProperties)
		}
		out = append(out, e)
	}
	return out
}

func TestEventSinkConformance(t *testing.T) {
	peer := devtest.SharedPeer(t)
	porttest.EventSink(t, func(t *testing.T) porttest.EventSinkHarness {
		q := peer.NewQueue(t, devtest.QueueOptions{DuplicateDetectionWindow: 10 * time.Minute})
		outbox := blobOutbox(t)
		p := publisher(t, servicebus.Options{ConnectionString: peer.ConnectionString, Queue: q, Outbox: outbox})
		return porttest.EventSinkHarness{Sink: p, Outbox: outbox, Delivered: func(t *testing.T) []domain.Event {
			return received(t, peer.ReceiveAll(t, q, time.Second))
		}}
	})
}

func finding(i int, state string) domain.Finding {
	return domain.Finding{
		Kind: domain.FindingMailMissing, Severity: domain.SeverityError,
		Key: fmt.Sprintf("user-%04d", i), State: state, Subject: fmt.Sprintf("user%d@contoso.com", i),
		Summary: "The user has no mail attribute.", ObservedAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC),
	}
}

func eventsFor(t *testing.T, from, n int, state string) []domain.Event {
	t.Helper()
	var fs []domain.Finding
	for i := from; i < from+n; i++ {
		fs = append(fs, finding(i, state))
	}
	es, err := domain.NewEvents(fs)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func blobOutbox(t *testing.T) *blob.Outbox {
	t.Helper()
	s, err := blob.New(blob.Options{ConnectionString: devtest.BlobConnectionString(t), Container: devtest.UniqueName("outbox-")})
	if err != nil {
		t.Fatal(err)
	}
	return s.Outbox()
}

func pending(t *testing.T, o domain.EventOutbox) (entries, events int) {
	t.Helper()
	keys, err := o.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		es, err := o.Load(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		events += len(es)
	}
	return len(keys), events
}

// TestOutageOutboxDrain: Service Bus down → events go to the Blob outbox and
// Publish succeeds; Service Bus back → the next Publish delivers the outbox
// first (oldest first) and empties it; every event arrives exactly once.
func TestOutageOutboxDrain(t *testing.T) {
	ctx := context.Background()
	peer := devtest.StartPeer(t)
	q := peer.NewQueue(t, devtest.QueueOptions{})
	outbox := blobOutbox(t)
	var logs bytes.Buffer
	p := publisher(t, servicebus.Options{
		ConnectionString: peer.ConnectionString, Queue: q, Outbox: outbox,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})

	before := eventsFor(t, 0, 10, "a")
	if err := p.Publish(ctx, before); err != nil {
		t.Fatalf("publish while up: %v", err)
	}
	peer.Down(t)
	during1 := eventsFor(t, 10, 150, "a") // two outbox entries
	during2 := eventsFor(t, 160, 5, "a")
	for _, es := range [][]domain.Event{during1, during2} {
		if err := p.Publish(ctx, es); err != nil {
			t.Fatalf("publish while down must set the events aside, got %v", err)
		}
	}
	if entries, n := pending(t, outbox); entries != 3 || n != 155 {
		t.Fatalf("outbox holds %d entries / %d events, want 3 / 155", entries, n)
	}
	if !strings.Contains(logs.String(), "set aside in the outbox") {
		t.Errorf("no log line says events were set aside:\n%s", logs.String())
	}
	if got := peer.Queue(t, q).Stats.Received; got != 10 {
		t.Fatalf("queue received %d while down, want 10", got)
	}

	peer.Up(t)
	after := eventsFor(t, 200, 3, "a")
	if err := p.Publish(ctx, append(after, during2[0])); err != nil { // one repeat of an outboxed event
		t.Fatalf("publish after the outage: %v", err)
	}
	if entries, _ := pending(t, outbox); entries != 0 {
		t.Fatalf("outbox still holds %d entries after a successful publish", entries)
	}

	got := received(t, peer.ReceiveAll(t, q, time.Second))
	want := append(append(append(append([]domain.Event{}, before...), during1...), during2...), after...)
	if len(got) != len(want) {
		t.Fatalf("received %d events, want %d (each exactly once)", len(got), len(want))
	}
	for i := range want { // ReceiveAll orders by sequence number: the enqueue order
		if got[i].ID != want[i].ID {
			t.Fatalf("event %d: got %s, want %s: the outbox must drain oldest first, before new events", i, got[i].Subject, want[i].Subject)
		}
	}
	if info := peer.Queue(t, q); info.Stats.Received != len(want) {
		t.Fatalf("peer accepted %d messages, want %d: %s", info.Stats.Received, len(want), info)
	}
}

// TestOutboxFromAnotherInstance: entries written by another instance are
// delivered by the first Drain of a new publisher.
func TestOutboxFromAnotherInstance(t *testing.T) {
	ctx := context.Background()
	peer := devtest.SharedPeer(t)
	q := peer.NewQueue(t, devtest.QueueOptions{})
	outbox := blobOutbox(t)
	old := eventsFor(t, 0, 4, "x")
	if err := outbox.Put(ctx, old); err != nil {
		t.Fatal(err)
	}
	p := publisher(t, servicebus.Options{ConnectionString: peer.ConnectionString, Queue: q, Outbox: outbox})
	if n, err := p.Drain(ctx); err != nil || n != 4 {
		t.Fatalf("drain: %d events, %v; want the 4 from the outbox", n, err)
	}
	if got := received(t, peer.ReceiveAll(t, q, time.Second)); len(got) != 4 {
		t.Fatalf("received %d events, want the 4 from the outbox", len(got))
	}
	if entries, _ := pending(t, outbox); entries != 0 {
		t.Fatalf("outbox still holds %d entries", entries)
	}
}

func TestOversizeEvent(t *testing.T) {
	ctx := context.Background()
	peer := devtest.SharedPeer(t)
	q := peer.NewQueue(t, devtest.QueueOptions{})
	p := publisher(t, servicebus.Options{ConnectionString: peer.ConnectionString, Queue: q})
	es := eventsFor(t, 0, 5, "a")
	big := finding(99, "big")
	big.Details = map[string]any{"blob": strings.Repeat("x", 300*1024)}
	bigEvent, err := domain.NewEvent(big)
	if err != nil {
		t.Fatal(err)
	}
	batch := append(append(es[:2:2], bigEvent), es[2:]...)
	err = p.Publish(ctx, batch)
	if !domain.IsCode(err, domain.ETOOLARGE) || !strings.Contains(err.Error(), bigEvent.ID) || !strings.Contains(err.Error(), "user99@contoso.com") {
		t.Fatalf("got %v, want ETOOLARGE naming event %s and its subject", err, bigEvent.ID)
	}
	if got := received(t, peer.ReceiveAll(t, q, time.Second)); len(got) != 5 {
		t.Fatalf("received %d events, want the other 5", len(got))
	}
}

func TestPermanentErrors(t *testing.T) {
	peer := devtest.SharedPeer(t)
	q := peer.NewQueue(t, devtest.QueueOptions{})
	for _, tc := range []struct {
		name, conn, queue string
		want              []string
	}{
		{"wrong key", strings.Replace(peer.ConnectionString, "SharedAccessKey=", "SharedAccessKey=x", 1), q,
			[]string{"refused the credentials", q, "SERVICEBUS_CONNECTION_STRING"}},
		{"unknown queue", peer.ConnectionString, "no-such-queue",
			[]string{`queue "no-such-queue" does not exist`, "SERVICEBUS_QUEUE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outbox := blobOutbox(t)
			p := publisher(t, servicebus.Options{ConnectionString: tc.conn, Queue: tc.queue, Outbox: outbox})
			err := p.Publish(context.Background(), eventsFor(t, 0, 2, "a"))
			if !domain.IsCode(err, domain.EUPSTREAM) {
				t.Fatalf("got %v, want EUPSTREAM", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(domain.ErrorMessage(err), w) {
					t.Errorf("message %q does not mention %q", domain.ErrorMessage(err), w)
				}
			}
			if strings.Contains(err.Error(), "SharedAccessKey=") {
				t.Errorf("error leaks the connection string: %v", err)
			}
			if entries, _ := pending(t, outbox); entries != 0 {
				t.Errorf("a configuration error must not fill the outbox (%d entries)", entries)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    servicebus.Options
		want string
	}{
		{"no queue", servicebus.Options{ConnectionString: "Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b"}, "SERVICEBUS_QUEUE"},
		{"no credentials", servicebus.Options{Queue: "q"}, "SERVICEBUS_NAMESPACE"},
		{"malformed", servicebus.Options{Queue: "q", ConnectionString: "SharedAccessKey=c2VjcmV0;garbage"}, "SERVICEBUS_CONNECTION_STRING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := servicebus.New(tc.o)
			if !domain.IsCode(err, domain.EINVALID) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want EINVALID naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Fatalf("error leaks the key: %v", err)
			}
		})
	}
}

func TestNoOutboxUnavailable(t *testing.T) {
	peer := devtest.StartPeer(t)
	q := peer.NewQueue(t, devtest.QueueOptions{})
	p := publisher(t, servicebus.Options{ConnectionString: peer.ConnectionString, Queue: q})
	peer.Down(t)
	err := p.Publish(context.Background(), eventsFor(t, 0, 1, "a"))
	if !domain.IsCode(err, domain.EUNAVAILABLE) || !strings.Contains(err.Error(), "no outbox") {
		t.Fatalf("got %v, want EUNAVAILABLE saying no outbox is configured", err)
	}
}

func TestLogSink(t *testing.T) {
	var buf bytes.Buffer
	es := eventsFor(t, 0, 2, "a")
	if err := (servicebus.LogSink{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}).Publish(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], es[0].ID) || !strings.Contains(lines[0], es[0].Type) || !strings.Contains(lines[1], "user1@contoso.com") {
		t.Fatalf("log lines:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "no mail attribute") {
		t.Fatalf("the dry-run log must not carry event data: %s", buf.String())
	}
}

// BenchmarkPublish measures publishing 100 distinct events (one batch) to the
// shared peer, duplicate detection on.
func BenchmarkPublish100(b *testing.B) {
	peer := devtest.SharedPeer(b)
	q := peer.NewQueue(b, devtest.QueueOptions{})
	p, err := servicebus.New(servicebus.Options{ConnectionString: peer.ConnectionString, Queue: q, Retry: fast})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	var all [][]domain.Event
	for i := 0; i < b.N; i++ {
		var fs []domain.Finding
		for j := 0; j < 100; j++ {
			fs = append(fs, finding(i*100+j, "bench"))
		}
		es, _ := domain.NewEvents(fs)
		all = append(all, es)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Publish(context.Background(), all[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := peer.Queue(b, q).Stats.Received; got != 100*b.N {
		b.Fatalf("peer received %d, want %d", got, 100*b.N)
	}
	// Metrics the bench table reads (ns/op alone is not one of its rows).
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(100*b.N)/secs, "events/s")
	b.ReportMetric(secs*1000/float64(b.N), "ms/publish-100")
}
