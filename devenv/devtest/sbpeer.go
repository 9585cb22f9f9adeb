package devtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// SBPeer is a running Service Bus peer (devenv/sbpeer): its connection
// string for azservicebus and its control API.
type SBPeer struct {
	// ConnectionString is what azservicebus.NewClientFromConnectionString takes.
	ConnectionString string
	// ControlURL is the peer's HTTP control API (devenv/sbpeer/control.js).
	ControlURL string
	private    bool
}

// SharedPeer returns the peer started by up.sh. Tests share it: use a fresh
// queue per test (NewQueue) and never take it down (use StartPeer for that).
func SharedPeer(t testing.TB) *SBPeer {
	t.Helper()
	conn := ServiceBusConnectionString(t)
	ctl := Env("DEVENV_SERVICEBUS_CONTROL")
	if ctl == "" {
		if b, err := os.ReadFile(filepath.Join(rundir(), "sbpeer.control")); err == nil {
			ctl = "http://127.0.0.1:" + strings.TrimSpace(string(b))
		}
	}
	if ctl == "" {
		need(t, "DEVENV_SERVICEBUS_CONTROL", "the Service Bus peer's control API")
	}
	return &SBPeer{ConnectionString: conn, ControlURL: ctl}
}

func rundir() string {
	if d := Env("DEVENV_RUNDIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", ".run")
}

// StartPeer starts a private peer for this test (stopped at cleanup), for
// tests that take Service Bus down. It needs what the shared peer needs
// (node and devenv/node_modules), so it skips or fails like SharedPeer.
func StartPeer(t testing.TB) *SBPeer {
	t.Helper()
	SharedPeer(t) // same skip / fail rule when local services are not set up
	_, file, _, _ := runtime.Caller(0)
	devenv := filepath.Join(filepath.Dir(file), "..")
	run := t.TempDir()
	cmd := exec.Command(filepath.Join(devenv, "sbpeer", "start.sh"), run)
	cmd.Env = append(os.Environ(), fmt.Sprintf("SBPEER_EXIT_WITH_PID=%d", os.Getpid()))
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("start a private Service Bus peer: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("start a private Service Bus peer: %v", err)
	}
	t.Cleanup(func() { _ = exec.Command(filepath.Join(devenv, "scripts", "stop.sh"), run, "sbpeer").Run() })
	ctl, err := os.ReadFile(filepath.Join(run, "sbpeer.control"))
	if err != nil {
		t.Fatalf("private Service Bus peer: %v", err)
	}
	return &SBPeer{
		ConnectionString: strings.TrimSpace(string(out)),
		ControlURL:       "http://127.0.0.1:" + strings.TrimSpace(string(ctl)),
		private:          true,
	}
}

// QueueOptions configures a queue on the peer. Zero values take the peer's
// defaults: duplicate detection 10 minutes, max delivery count 10, lock 60 s,
// 256 KB messages.
type QueueOptions struct {
	DuplicateDetectionWindow time.Duration
	NoDuplicateDetection     bool
	MaxDeliveryCount         int
	LockDuration             time.Duration
	MaxMessageSizeBytes      int
}

// QueueInfo is the peer's view of a queue: what waits in it now (Active,
// Locked, Deferred, DeadLetter) and what happened to it so far.
type QueueInfo struct {
	Name   string `json:"name"`
	Counts struct {
		Active     int `json:"active"`
		Locked     int `json:"locked"`
		Deferred   int `json:"deferred"`
		DeadLetter int `json:"deadLetter"`
	} `json:"counts"`
	Stats struct {
		Received     int `json:"received"`     // accepted into the queue
		Duplicates   int `json:"duplicates"`   // dropped by duplicate detection
		Delivered    int `json:"delivered"`    // deliveries to receivers
		Completed    int `json:"completed"`    //
		Abandoned    int `json:"abandoned"`    //
		Deferred     int `json:"deferred"`     //
		DeadLettered int `json:"deadLettered"` // explicitly or by max delivery count
		LockExpired  int `json:"lockExpired"`  //
		Oversize     int `json:"oversize"`     // sends refused for size
	} `json:"stats"`
}

// NewQueue creates a queue with a unique name on the peer and returns it.
func (p *SBPeer) NewQueue(t testing.TB, o QueueOptions) string {
	t.Helper()
	name := UniqueName("q-")
	body := map[string]any{}
	switch {
	case o.NoDuplicateDetection:
		body["duplicateDetectionWindow"] = 0
	case o.DuplicateDetectionWindow > 0:
		body["duplicateDetectionWindow"] = o.DuplicateDetectionWindow.Milliseconds()
	}
	if o.MaxDeliveryCount > 0 {
		body["maxDeliveryCount"] = o.MaxDeliveryCount
	}
	if o.LockDuration > 0 {
		body["lockDuration"] = o.LockDuration.Milliseconds()
	}
	if o.MaxMessageSizeBytes > 0 {
		body["maxMessageSizeBytes"] = o.MaxMessageSizeBytes
	}
	p.call(t, http.MethodPut, "/queues/"+name, body, nil)
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, p.ControlURL+"/queues/"+name, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return name
}

// Queue returns the peer's counters for a queue.
func (p *SBPeer) Queue(t testing.TB, name string) QueueInfo {
	t.Helper()
	var q QueueInfo
	p.call(t, http.MethodGet, "/queues/"+name, nil, &q)
	return q
}

// Down makes the peer refuse new connections and drop open ones: Service Bus
// is unreachable until Up. Only for a private peer (StartPeer).
func (p *SBPeer) Down(t testing.TB) {
	t.Helper()
	if !p.private {
		t.Fatal("devtest: take down a private peer (StartPeer), not the shared one other tests use")
	}
	p.call(t, http.MethodPost, "/down", nil, nil)
}

// Up makes a peer taken Down accept connections again, on the same port.
func (p *SBPeer) Up(t testing.TB) {
	t.Helper()
	p.call(t, http.MethodPost, "/up", nil, nil)
}

// Drop cuts every open connection (clients reconnect). Only for a private peer.
func (p *SBPeer) Drop(t testing.TB) {
	t.Helper()
	if !p.private {
		t.Fatal("devtest: drop connections of a private peer (StartPeer), not the shared one")
	}
	p.call(t, http.MethodPost, "/drop", nil, nil)
}

// Client returns an azservicebus client for the peer, closed at cleanup.
func (p *SBPeer) Client(t testing.TB) *azservicebus.Client {
	t.Helper()
	c, err := azservicebus.NewClientFromConnectionString(p.ConnectionString, nil)
	if err != nil {
		t.Fatalf("service bus client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// ReceiveAll reads a queue with a real azservicebus PeekLock receiver,
// completing each message, until none arrives for idle (1 s when 0) and the
// peer holds none active or locked. It
// returns the messages in sequence-number (enqueue) order: the SDK may hand
// over a receive's messages in another order.
func (p *SBPeer) ReceiveAll(t testing.TB, queue string, idle time.Duration) []*azservicebus.ReceivedMessage {
	t.Helper()
	return p.receiveAll(t, queue, idle, nil)
}

// ReceiveDeadLetters is ReceiveAll on the queue's dead-letter subqueue.
func (p *SBPeer) ReceiveDeadLetters(t testing.TB, queue string, idle time.Duration) []*azservicebus.ReceivedMessage {
	t.Helper()
	return p.receiveAll(t, queue, idle, &azservicebus.ReceiverOptions{SubQueue: azservicebus.SubQueueDeadLetter})
}

func (p *SBPeer) receiveAll(t testing.TB, queue string, idle time.Duration, o *azservicebus.ReceiverOptions) []*azservicebus.ReceivedMessage {
	t.Helper()
	if idle <= 0 {
		idle = time.Second
	}
	r, err := p.Client(t).NewReceiverForQueue(queue, o)
	if err != nil {
		t.Fatalf("receiver for %s: %v", queue, err)
	}
	defer r.Close(context.Background())
	var out []*azservicebus.ReceivedMessage
	for {
		ctx, cancel := context.WithTimeout(context.Background(), idle)
		msgs, err := r.ReceiveMessages(ctx, 100, nil)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("receive from %s: %v", queue, err)
		}
		if len(msgs) == 0 {
			if q := p.Queue(t, queue); o == nil && q.Counts.Active+q.Counts.Locked > 0 {
				continue // the receiver's credit ran dry before the queue did
			}
			sort.SliceStable(out, func(i, j int) bool { return seq(out[i]) < seq(out[j]) })
			return out
		}
		for _, m := range msgs {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := r.CompleteMessage(ctx, m, nil)
			cancel()
			if err != nil {
				t.Fatalf("complete message %s from %s: %v", m.MessageID, queue, err)
			}
		}
		out = append(out, msgs...)
	}
}

func seq(m *azservicebus.ReceivedMessage) int64 {
	if m.SequenceNumber == nil {
		return 0
	}
	return *m.SequenceNumber
}

func (p *SBPeer) call(t testing.TB, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.ControlURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("service bus peer control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("service bus peer control %s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("service bus peer control %s %s: %v", method, path, err)
		}
	}
}

// String renders a queue's state for failure messages.
func (q QueueInfo) String() string {
	return fmt.Sprintf("%s: active=%d locked=%d deadLetter=%d received=%d duplicates=%d completed=%d oversize=%d",
		q.Name, q.Counts.Active, q.Counts.Locked, q.Counts.DeadLetter, q.Stats.Received, q.Stats.Duplicates, q.Stats.Completed, q.Stats.Oversize)
}
