package main

import (
	"context"
	"sync"

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

var eventSinkState struct {
	once sync.Once
	sink *servicebus.Publisher
	err  error
}

func (a *app) eventSink() (domain.EventSink, error) {
	s := &eventSinkState
	s.once.Do(func() {
		store, err := a.blobStore()
		if err != nil {
			s.err = err
			return
		}
		s.sink, s.err = servicebus.New(servicebus.Options{
			ConnectionString: a.cfg.ServiceBusConnectionString,
			Namespace:        a.cfg.ServiceBusNamespace, Credential: a.cred,
			Queue: a.cfg.ServiceBusQueue, Outbox: store.Outbox(), Logger: a.log,
		})
		if s.err == nil {
			a.closers = append(a.closers, func(ctx context.Context) error { return s.sink.Close(ctx) })
		}
	})
	if s.err != nil {
		return nil, s.err
	}
	return s.sink, nil
}
