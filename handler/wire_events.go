package main

import (
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

// Every job that finds a problem reports it through one event sink: the
// Service Bus publisher, with its outbox in Blob for when Service Bus cannot
// be reached. It is built on first use (no I/O at start) and closed at
// shutdown.
func init() {
	diagnoseDeps.events = (*app).eventSink
}

func (a *app) eventSink() (domain.EventSink, error) {
	sink, err := a.shared.events.get(func() (*servicebus.Publisher, error) {
		store, err := a.blobStore()
		if err != nil {
			return nil, err
		}
		p, err := servicebus.New(servicebus.Options{
			ConnectionString: a.cfg.ServiceBusConnectionString,
			Namespace:        a.cfg.ServiceBusNamespace, Credential: a.cred,
			Queue: a.cfg.ServiceBusQueue, Outbox: store.Outbox(), Logger: a.log,
		})
		if err == nil {
			a.closers = append(a.closers, p.Close)
		}
		return p, err
	})
	if err != nil {
		return nil, err
	}
	return sink, nil
}
