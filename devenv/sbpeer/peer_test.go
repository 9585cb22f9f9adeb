// Package sbpeer_test drives the local Service Bus peer (peer.js) with the
// real azservicebus client, so the peer cannot drift from what the SDK needs.
package sbpeer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
)

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

func sender(t *testing.T, c *azservicebus.Client, q string) *azservicebus.Sender {
	t.Helper()
	s, err := c.NewSender(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func msg(id, body string) *azservicebus.Message {
	m := &azservicebus.Message{Body: []byte(body)}
	if id != "" {
		m.MessageID = &id
	}
	return m
}

func TestSendBatchReceiveComplete(t *testing.T) {
	c := ctx(t, 30*time.Second)
	p := devtest.SharedPeer(t)
	q := p.NewQueue(t, devtest.QueueOptions{DuplicateDetectionWindow: time.Minute})
	s := sender(t, p.Client(t), q)

	m := msg("m-1", `{"a":1}`)
	m.ContentType = ptr("application/cloudevents+json")
	m.Subject = ptr("com.example.thing.v1")
	m.ApplicationProperties = map[string]any{"type": "t1", "n": int64(7)}
	if err := s.SendMessage(c, m, nil); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := s.SendMessage(c, msg("m-1", "again"), nil); err != nil {
		t.Fatalf("a duplicate send must be accepted (and dropped): %v", err)
	}
	batch, err := s.NewMessageBatch(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if batch.NumBytes() != 0 {
		t.Fatalf("empty batch has %d bytes", batch.NumBytes())
	}
	for _, id := range []string{"m-2", "m-3", "m-1"} {
		if err := batch.AddMessage(msg(id, id), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SendMessageBatch(c, batch, nil); err != nil {
		t.Fatalf("batch send: %v", err)
	}

	got := p.ReceiveAll(t, q, time.Second)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.MessageID)
	}
	if strings.Join(ids, ",") != "m-1,m-2,m-3" {
		t.Fatalf("received %v, want m-1,m-2,m-3 (duplicates dropped)", ids)
	}
	first := got[0]
	if string(first.Body) != `{"a":1}` || *first.ContentType != "application/cloudevents+json" || *first.Subject != "com.example.thing.v1" {
		t.Errorf("message content changed: body %q content type %v subject %v", first.Body, first.ContentType, first.Subject)
	}
	if first.ApplicationProperties["type"] != "t1" || first.ApplicationProperties["n"] != int64(7) {
		t.Errorf("application properties changed (types too): %#v", first.ApplicationProperties)
	}
	if first.SequenceNumber == nil || *first.SequenceNumber != 1 || first.EnqueuedTime == nil || first.LockedUntil == nil || first.DeliveryCount != 1 {
		t.Errorf("broker properties: seq %v enqueued %v lockedUntil %v deliveryCount %d", first.SequenceNumber, first.EnqueuedTime, first.LockedUntil, first.DeliveryCount)
	}
	if first.LockToken == [16]byte{} {
		t.Error("no lock token")
	}
	info := p.Queue(t, q)
	if info.Stats.Received != 3 || info.Stats.Duplicates != 2 || info.Stats.Completed != 3 || info.Counts.Active != 0 || info.Counts.Locked != 0 {
		t.Fatalf("peer counts: %s", info)
	}
}

func TestAbandonDeadLetterMaxDelivery(t *testing.T) {
	c := ctx(t, 30*time.Second)
	p := devtest.SharedPeer(t)
	q := p.NewQueue(t, devtest.QueueOptions{MaxDeliveryCount: 3})
	cl := p.Client(t)
	s := sender(t, cl, q)
	for _, b := range []string{"poison", "bad"} {
		if err := s.SendMessage(c, msg("", b), nil); err != nil {
			t.Fatal(err)
		}
	}
	r, err := cl.NewReceiverForQueue(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	deliveries := map[string][]uint32{}
	for p.Queue(t, q).Counts.DeadLetter < 2 {
		msgs, err := r.ReceiveMessages(c, 2, nil)
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		for _, m := range msgs {
			deliveries[string(m.Body)] = append(deliveries[string(m.Body)], m.DeliveryCount)
			switch string(m.Body) {
			case "poison":
				err = r.AbandonMessage(c, m, nil)
			case "bad":
				err = r.DeadLetterMessage(c, m, &azservicebus.DeadLetterOptions{Reason: ptr("unreadable"), ErrorDescription: ptr("not JSON")})
			}
			if err != nil {
				t.Fatalf("settle %s: %v", m.Body, err)
			}
		}
	}
	if fmt.Sprint(deliveries["poison"]) != "[1 2 3]" || fmt.Sprint(deliveries["bad"]) != "[1]" {
		t.Errorf("delivery counts %v, want poison [1 2 3] and bad [1]", deliveries)
	}
	dead := p.ReceiveDeadLetters(t, q, time.Second)
	got := map[string]string{}
	for _, m := range dead {
		got[string(m.Body)] = deref(m.DeadLetterReason) + "/" + deref(m.DeadLetterErrorDescription)
	}
	if !strings.HasPrefix(got["poison"], "MaxDeliveryCountExceeded/") || got["bad"] != "unreadable/not JSON" {
		t.Fatalf("dead letters: %v", got)
	}
	if info := p.Queue(t, q); info.Counts.DeadLetter != 0 || info.Stats.Abandoned != 3 || info.Stats.DeadLettered != 2 {
		t.Fatalf("peer counts: %s", info)
	}
}

func TestRenewLockAndLockLost(t *testing.T) {
	c := ctx(t, 30*time.Second)
	p := devtest.SharedPeer(t)
	q := p.NewQueue(t, devtest.QueueOptions{LockDuration: 1500 * time.Millisecond})
	cl := p.Client(t)
	if err := sender(t, cl, q).SendMessage(c, msg("", "x"), nil); err != nil {
		t.Fatal(err)
	}
	r, err := cl.NewReceiverForQueue(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	msgs, err := r.ReceiveMessages(c, 1, nil)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %v %d", err, len(msgs))
	}
	m := msgs[0]
	before := *m.LockedUntil
	time.Sleep(800 * time.Millisecond)
	if err := r.RenewMessageLock(c, m, nil); err != nil {
		t.Fatalf("renew lock: %v", err)
	}
	if !m.LockedUntil.After(before) {
		t.Errorf("renew did not extend the lock: %v → %v", before, m.LockedUntil)
	}
	time.Sleep(2 * time.Second) // the lock expires
	err = r.CompleteMessage(c, m, nil)
	var sbErr *azservicebus.Error
	if !errors.As(err, &sbErr) || sbErr.Code != azservicebus.CodeLockLost {
		t.Fatalf("complete after lock expiry: %v, want CodeLockLost", err)
	}
	again := p.ReceiveAll(t, q, time.Second)
	if len(again) != 1 || again[0].DeliveryCount != 2 {
		t.Fatalf("after lock expiry want one redelivery with DeliveryCount 2, got %d", len(again))
	}
}

func TestErrors(t *testing.T) {
	c := ctx(t, 60*time.Second)
	p := devtest.SharedPeer(t)
	q := p.NewQueue(t, devtest.QueueOptions{})

	s := sender(t, p.Client(t), q)
	if err := s.SendMessage(c, msg("", strings.Repeat("x", 300*1024)), nil); !errors.Is(err, azservicebus.ErrMessageTooLarge) {
		t.Errorf("300 KB message: %v, want ErrMessageTooLarge", err)
	}
	if err := s.SendMessage(c, msg("", "small"), nil); err != nil {
		t.Errorf("the sender must still work after an oversize message: %v", err)
	}

	for _, tc := range []struct {
		name, conn, queue string
		code              azservicebus.Code
	}{
		{"wrong key", strings.Replace(p.ConnectionString, "SharedAccessKey=", "SharedAccessKey=wrong", 1), q, azservicebus.CodeUnauthorizedAccess},
		{"wrong key name", strings.Replace(p.ConnectionString, "SharedAccessKeyName=devenv", "SharedAccessKeyName=other", 1), q, azservicebus.CodeUnauthorizedAccess},
		{"unknown queue", p.ConnectionString, "no-such-queue", azservicebus.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := azservicebus.NewClientFromConnectionString(tc.conn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close(context.Background())
			err = sender(t, cl, tc.queue).SendMessage(c, msg("", "x"), nil)
			var sbErr *azservicebus.Error
			if !errors.As(err, &sbErr) || sbErr.Code != tc.code {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestDownAndUp(t *testing.T) {
	c := ctx(t, 60*time.Second)
	p := devtest.StartPeer(t)
	q := p.NewQueue(t, devtest.QueueOptions{})
	cl, err := azservicebus.NewClientFromConnectionString(p.ConnectionString, &azservicebus.ClientOptions{
		RetryOptions: azservicebus.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close(context.Background())
	s := sender(t, cl, q)
	if err := s.SendMessage(c, msg("a", "a"), nil); err != nil {
		t.Fatal(err)
	}
	p.Down(t)
	if err := s.SendMessage(c, msg("b", "b"), nil); err == nil {
		t.Fatal("send succeeded while the peer was down")
	}
	p.Up(t)
	if err := s.SendMessage(c, msg("c", "c"), nil); err != nil {
		t.Fatalf("send after the peer came back: %v", err)
	}
	p.Drop(t)
	if err := s.SendMessage(c, msg("d", "d"), nil); err != nil {
		t.Fatalf("send after dropped connections (the client reconnects): %v", err)
	}
	var ids []string
	for _, m := range p.ReceiveAll(t, q, time.Second) {
		ids = append(ids, m.MessageID)
	}
	if strings.Join(ids, ",") != "a,c,d" {
		t.Fatalf("received %v, want a,c,d", ids)
	}
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestVolumeOneReceiver: one PeekLock receiver reads and completes 5,000
// messages. The peer must forget each delivery it settled (AMQP: the sender
// forgets a delivery once it settles it, and a receiver in settle mode
// "second" does not answer that), or its session's delivery buffer (2,048
// in rhea) fills and delivery stops after about 2,000 messages.
func TestVolumeOneReceiver(t *testing.T) {
	c := ctx(t, 3*time.Minute)
	p := devtest.SharedPeer(t)
	q := p.NewQueue(t, devtest.QueueOptions{})
	s := sender(t, p.Client(t), q)
	const n = 5000
	for i := 0; i < n; {
		batch, err := s.NewMessageBatch(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		for ; i < n; i++ {
			if err := batch.AddMessage(msg(fmt.Sprintf("v-%d", i), `{"n":1}`), nil); err != nil {
				break
			}
		}
		if err := s.SendMessageBatch(c, batch, nil); err != nil {
			t.Fatal(err)
		}
	}
	got := p.ReceiveAll(t, q, 2*time.Second)
	if len(got) != n {
		t.Fatalf("one receiver read %d of %d messages (peer: %s)", len(got), n, p.Queue(t, q))
	}
	if info := p.Queue(t, q); info.Stats.Completed != n || info.Counts.Active != 0 || info.Counts.Locked != 0 {
		t.Fatalf("peer counts after reading everything: %s", info)
	}
}
