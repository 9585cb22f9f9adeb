// Package servicebus is the Azure Service Bus adapter (azservicebus): the
// remediation event sink. Publish sends CloudEvents to one queue in batches
// sized under the queue's message limit, with the event id as MessageID so
// Service Bus duplicate detection drops repeats. When Service Bus cannot be
// reached the events go to an outbox (Blob in production) and the next
// Publish delivers them first, oldest first, removing each outbox entry only
// after Service Bus accepted it.
//
// It decides no policy: which findings become events is the jobs' business.
// It must not create queues (Bicep does) nor log event contents beyond id,
// type and subject; it never logs the connection string.
package servicebus

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Options configures a Publisher. Give ConnectionString (the peer, the
// emulator, SAS keys) or Namespace and Credential (managed identity).
type Options struct {
	ConnectionString string
	Namespace        string // e.g. acme-aircall-sso.servicebus.windows.net
	Credential       azcore.TokenCredential
	// Queue receives the events (SERVICEBUS_QUEUE).
	Queue string
	// Outbox keeps events while Service Bus is unreachable; nil: Publish
	// fails with EUNAVAILABLE instead.
	Outbox domain.EventOutbox
	// Logger receives one line per decision (events set aside, drained).
	Logger *slog.Logger
	// Retry is the SDK's retry policy for transient errors; zero: 3 retries,
	// 1 s doubling to 8 s.
	Retry azservicebus.RetryOptions
	// SendTimeout bounds one send (with its retries); 0: 60 s.
	SendTimeout time.Duration
	// OutboxCheckInterval is how often Publish looks for entries written by
	// other instances; 0: 1 minute. Entries this instance wrote are always
	// delivered by its next Publish.
	OutboxCheckInterval time.Duration
	// MaxBatchBytes caps a batch below the link's limit; 0: the link's limit.
	MaxBatchBytes uint64
}

// outboxEntryEvents is the most events one outbox entry holds, so that an
// entry drains in one or two batches.
const outboxEntryEvents = 100

// Publisher is the domain.EventSink on a Service Bus queue. It is safe for
// concurrent use.
type Publisher struct {
	client *azservicebus.Client
	sender *azservicebus.Sender
	o      Options
	log    *slog.Logger
	// setting names the setting that holds the credentials, for error messages.
	setting   string
	namespace string

	drainMu     sync.Mutex
	outboxDirty bool // this instance wrote entries not yet delivered
	lastCheck   time.Time
}

var (
	_ domain.EventSink     = (*Publisher)(nil)
	_ domain.OutboxDrainer = (*Publisher)(nil)
)

// New builds a Publisher. It does no I/O: the first Publish connects.
func New(o Options) (*Publisher, error) {
	if o.Queue == "" {
		return nil, domain.Errorf(domain.EINVALID, "servicebus: a queue name is required (SERVICEBUS_QUEUE)")
	}
	if o.Retry == (azservicebus.RetryOptions{}) {
		o.Retry = azservicebus.RetryOptions{MaxRetries: 3, RetryDelay: time.Second, MaxRetryDelay: 8 * time.Second}
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 60 * time.Second
	}
	if o.OutboxCheckInterval <= 0 {
		o.OutboxCheckInterval = time.Minute
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	co := &azservicebus.ClientOptions{RetryOptions: o.Retry, ApplicationID: "aircall-entra-sso"}
	p := &Publisher{o: o, log: log.With("queue", o.Queue), outboxDirty: true}
	var err error
	switch {
	case o.ConnectionString != "":
		p.setting, p.namespace = "SERVICEBUS_CONNECTION_STRING", endpointHost(o.ConnectionString)
		p.client, err = azservicebus.NewClientFromConnectionString(o.ConnectionString, co)
		if err != nil {
			// the SDK's message may quote the string and its key: don't pass it on
			return nil, domain.Errorf(domain.EINVALID, "servicebus: SERVICEBUS_CONNECTION_STRING is malformed: want Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…")
		}
	case o.Namespace != "" && o.Credential != nil:
		p.setting, p.namespace = "SERVICEBUS_NAMESPACE", o.Namespace
		p.client, err = azservicebus.NewClient(o.Namespace, o.Credential, co)
		if err != nil {
			return nil, domain.Wrap(domain.EINVALID, err, "servicebus: SERVICEBUS_NAMESPACE %q is not usable", o.Namespace)
		}
	default:
		return nil, domain.Errorf(domain.EINVALID, "servicebus: set SERVICEBUS_NAMESPACE (managed identity) or SERVICEBUS_CONNECTION_STRING")
	}
	if p.sender, err = p.client.NewSender(o.Queue, nil); err != nil {
		return nil, domain.Wrap(domain.EINVALID, err, "servicebus: queue name %q is not usable (SERVICEBUS_QUEUE)", o.Queue)
	}
	return p, nil
}

// Close releases the connection.
func (p *Publisher) Close(ctx context.Context) error {
	_ = p.sender.Close(ctx)
	return p.client.Close(ctx)
}

// Publish delivers events: first what waits in the outbox, then these. It
// returns nil when every event was accepted by Service Bus or set aside in
// the outbox; with no events it does nothing (Drain delivers the outbox). Permanent errors (unknown queue, refused credentials) are
// returned as EUPSTREAM naming the setting to fix; an event too large for a
// Service Bus message is returned as ETOOLARGE naming the event, after the
// other events were delivered.
func (p *Publisher) Publish(ctx context.Context, events []domain.Event) error {
	events = uniqueByID(events)
	if len(events) == 0 {
		return nil
	}
	if _, err := p.drain(ctx); err != nil {
		if !unreachable(ctx, err) {
			return err
		}
		// Service Bus is down: keep the order, new events after the old ones
		return p.setAside(ctx, events, err)
	}
	res := p.send(ctx, events)
	if res.err != nil {
		if !unreachable(ctx, res.err) {
			return errors.Join(res.err, res.tooLarge)
		}
		if err := p.setAside(ctx, res.unsent, res.err); err != nil {
			return errors.Join(err, res.tooLarge)
		}
	}
	return res.tooLarge
}

// setAside writes events to the outbox in entries of outboxEntryEvents.
func (p *Publisher) setAside(ctx context.Context, events []domain.Event, cause error) error {
	if len(events) == 0 {
		return nil
	}
	if p.o.Outbox == nil {
		return domain.Wrap(domain.EUNAVAILABLE, cause, "servicebus: %d events not delivered: Service Bus namespace %s is unreachable and no outbox is configured", len(events), p.namespace)
	}
	for start := 0; start < len(events); start += outboxEntryEvents {
		end := min(start+outboxEntryEvents, len(events))
		if err := p.o.Outbox.Put(ctx, events[start:end]); err != nil {
			return domain.Wrap(domain.EUNAVAILABLE, errors.Join(cause, err), "servicebus: %d events not delivered: Service Bus is unreachable and the outbox could not be written; publish them again", len(events)-start)
		}
	}
	p.drainMu.Lock()
	p.outboxDirty = true
	p.drainMu.Unlock()
	p.log.WarnContext(ctx, "Service Bus unreachable: events set aside in the outbox for the next run", "events", len(events), "cause", cause.Error())
	return nil
}

// Drain delivers what waits in the outbox, oldest first, and returns how
// many events it delivered. It looks only when this instance wrote entries
// or when OutboxCheckInterval has passed (a new Publisher looks at once).
// An outbox that cannot be read is logged and left for a later Drain; an
// error means Service Bus did not take an entry, which stays.
func (p *Publisher) Drain(ctx context.Context) (int, error) {
	return p.drain(ctx)
}

// drain is Drain; Publish calls it before sending, so that new events go
// out after the old ones.
func (p *Publisher) drain(ctx context.Context) (int, error) {
	if p.o.Outbox == nil {
		return 0, nil
	}
	p.drainMu.Lock()
	defer p.drainMu.Unlock()
	if !p.outboxDirty && time.Since(p.lastCheck) < p.o.OutboxCheckInterval {
		return 0, nil
	}
	keys, err := p.o.Outbox.Pending(ctx)
	if err != nil {
		p.log.WarnContext(ctx, "event outbox not readable: undelivered events stay there for a later run", "error", err.Error())
		return 0, nil
	}
	delivered := 0
	for _, key := range keys {
		events, err := p.o.Outbox.Load(ctx, key)
		if domain.IsCode(err, domain.ENOTFOUND) {
			continue // another instance delivered it
		}
		if err != nil {
			p.log.WarnContext(ctx, "event outbox entry not readable: left for a later run", "entry", key, "error", err.Error())
			return delivered, nil
		}
		res := p.send(ctx, events)
		if res.err != nil {
			return delivered, res.err
		}
		if res.tooLarge != nil {
			p.log.ErrorContext(ctx, "outbox entry held an event Service Bus cannot take: dropped", "entry", key, "error", res.tooLarge.Error())
		}
		if err := p.o.Outbox.Remove(ctx, key); err != nil {
			// delivered but still there: the next drain sends it again and
			// duplicate detection drops it
			p.log.WarnContext(ctx, "delivered outbox entry not removed", "entry", key, "error", err.Error())
		}
		delivered += len(events)
	}
	if delivered > 0 {
		p.log.InfoContext(ctx, "delivered events from the outbox", "entries", len(keys), "events", delivered)
	}
	p.outboxDirty = false
	p.lastCheck = time.Now()
	return delivered, nil
}

// uniqueByID drops repeated ids (Service Bus would drop them anyway).
func uniqueByID(events []domain.Event) []domain.Event {
	seen := make(map[string]bool, len(events))
	out := events[:0:0]
	for _, e := range events {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out
}

// endpointHost returns the host of a connection string's Endpoint, for
// messages; never the key.
func endpointHost(conn string) string {
	for _, part := range strings.Split(conn, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "Endpoint") {
			v = strings.TrimPrefix(strings.TrimPrefix(v, "sb://"), "amqps://")
			return strings.TrimSuffix(v, "/")
		}
	}
	return "(unknown)"
}
