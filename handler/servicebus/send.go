package servicebus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// ContentType is the content type of every message: a CloudEvent in
// structured mode.
const ContentType = "application/cloudevents+json"

// maxMessageIDLength is Service Bus's limit on MessageID.
const maxMessageIDLength = 128

// Message returns the Service Bus message for an event: the body is the
// event's JSON, MessageID its id (duplicate detection), Subject its type, and
// application properties type, source, subject, severity and ticket for
// subscription filters.
func Message(e domain.Event) (*azservicebus.Message, error) {
	if e.ID == "" || len(e.ID) > maxMessageIDLength {
		return nil, domain.Errorf(domain.EINVALID, "event %q of type %s: an event id must have 1 to %d characters", e.ID, e.Type, maxMessageIDLength)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, domain.Wrap(domain.EINTERNAL, err, "encode event %s", e.ID)
	}
	props := map[string]any{"type": e.Type, "source": e.Source, "subject": e.Subject}
	var data struct {
		Severity string `json:"severity"`
		Ticket   string `json:"ticket"`
	}
	if json.Unmarshal(e.Data, &data) == nil {
		if data.Severity != "" {
			props["severity"] = data.Severity
		}
		if data.Ticket != "" {
			props["ticket"] = data.Ticket
		}
	}
	id, typ, ct := e.ID, e.Type, ContentType
	return &azservicebus.Message{MessageID: &id, Subject: &typ, ContentType: &ct, Body: body, ApplicationProperties: props}, nil
}

// sendResult is what send did: err is the first failure to send a batch
// (unsent holds that batch and every later event), tooLarge names events that
// fit in no message and were skipped.
type sendResult struct {
	err      error
	unsent   []domain.Event
	tooLarge error
}

// send delivers events in batches sized by the SDK under the link's limit.
func (p *Publisher) send(ctx context.Context, events []domain.Event) (res sendResult) {
	var tooLarge []error
	defer func() { res.tooLarge = errors.Join(tooLarge...) }()
	for start := 0; start < len(events); {
		batch, err := p.newBatch(ctx)
		if err != nil {
			res.err, res.unsent = err, events[start:]
			return res
		}
		next := start
		for next < len(events) {
			e := events[next]
			msg, err := Message(e)
			if err != nil {
				tooLarge = append(tooLarge, err)
				next++
				continue
			}
			err = batch.AddMessage(msg, nil)
			if errors.Is(err, azservicebus.ErrMessageTooLarge) {
				if batch.NumMessages() > 0 {
					break // full: send it and start another
				}
				tooLarge = append(tooLarge, domain.Errorf(domain.ETOOLARGE,
					"event %s (%s, subject %q) is %d bytes, over the Service Bus message limit: it was not sent; shorten its data",
					e.ID, e.Type, e.Subject, len(msg.Body)))
				next++
				continue
			}
			if err != nil {
				tooLarge = append(tooLarge, domain.Wrap(domain.EINTERNAL, err, "add event %s to a batch", e.ID))
				next++
				continue
			}
			next++
		}
		if batch.NumMessages() > 0 {
			if err := p.sendBatch(ctx, batch); err != nil {
				res.err, res.unsent = err, events[start:]
				return res
			}
			p.log.DebugContext(ctx, "sent events", "events", batch.NumMessages(), "bytes", batch.NumBytes())
		}
		start = next
	}
	return res
}

func (p *Publisher) newBatch(ctx context.Context) (*azservicebus.MessageBatch, error) {
	ctx, cancel := context.WithTimeout(ctx, p.o.SendTimeout)
	defer cancel()
	var bo *azservicebus.MessageBatchOptions
	if p.o.MaxBatchBytes > 0 {
		bo = &azservicebus.MessageBatchOptions{MaxBytes: p.o.MaxBatchBytes}
	}
	b, err := p.sender.NewMessageBatch(ctx, bo)
	if err != nil {
		return nil, p.translate(err, "open a sender")
	}
	return b, nil
}

func (p *Publisher) sendBatch(ctx context.Context, b *azservicebus.MessageBatch) error {
	ctx, cancel := context.WithTimeout(ctx, p.o.SendTimeout)
	defer cancel()
	if err := p.sender.SendMessageBatch(ctx, b, nil); err != nil {
		return p.translate(err, fmt.Sprintf("send %d events", b.NumMessages()))
	}
	return nil
}

// translate maps an SDK error to the domain vocabulary: refused credentials
// and an unknown queue are EUPSTREAM naming the setting to fix; anything else
// is EUNAVAILABLE (Service Bus unreachable or busy: the outbox takes over).
func (p *Publisher) translate(err error, what string) error {
	var sbErr *azservicebus.Error
	if errors.As(err, &sbErr) {
		switch sbErr.Code {
		case azservicebus.CodeUnauthorizedAccess:
			if p.setting == "SERVICEBUS_NAMESPACE" {
				return domain.Wrap(domain.EUPSTREAM, err, "servicebus: %s: Service Bus refused the app's identity for queue %q in %s: grant it the 'Azure Service Bus Data Sender' role (SERVICEBUS_NAMESPACE)", what, p.o.Queue, p.namespace)
			}
			return domain.Wrap(domain.EUPSTREAM, err, "servicebus: %s: Service Bus refused the credentials for queue %q in %s: check SharedAccessKeyName and SharedAccessKey in SERVICEBUS_CONNECTION_STRING", what, p.o.Queue, p.namespace)
		case azservicebus.CodeNotFound:
			return domain.Wrap(domain.EUPSTREAM, err, "servicebus: %s: queue %q does not exist in Service Bus namespace %s: create it (infra/bicep) or fix SERVICEBUS_QUEUE", what, p.o.Queue, p.namespace)
		}
	}
	if errors.Is(err, azservicebus.ErrMessageTooLarge) {
		return domain.Wrap(domain.ETOOLARGE, err, "servicebus: %s: over the queue's message size limit", what)
	}
	return domain.Wrap(domain.EUNAVAILABLE, err, "servicebus: %s to queue %q in %s: Service Bus unreachable or busy", what, p.o.Queue, p.namespace)
}

// unreachable reports whether err means "try later" (the outbox takes the
// events) rather than a permanent error or the caller giving up.
func unreachable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false // the caller gave up: it may publish again
	}
	if domain.IsCode(err, domain.EUNAVAILABLE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF)
}
