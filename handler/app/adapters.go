package app

import (
	"context"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/graph"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

// Each builder below runs once, on first use, and does no I/O; its error
// names the settings to check.

// BlobStore is the app's blob store (BLOB_SERVICE_URL with the app's
// identity, or BLOB_CONNECTION_STRING locally): metadata archives,
// checkpoints, reports, the outbox and the locks.
func (a *App) BlobStore() (*blob.Store, error) {
	return a.blob.get(func() (*blob.Store, error) {
		s, err := blob.New(blob.Options{
			ServiceURL: a.Config.BlobServiceURL, Credential: a.Cred,
			ConnectionString: a.Config.BlobConnectionString, Container: a.Config.BlobContainer,
		})
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the blob store: check BLOB_SERVICE_URL / BLOB_CONNECTION_STRING")
		}
		return s, nil
	})
}

// EventSink is where every job sends remediation events: the Service Bus
// publisher, with its outbox in Blob for when Service Bus cannot be
// reached. Close closes it.
func (a *App) EventSink() (domain.EventSink, error) {
	p, err := a.publisher()
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Outbox drains the events the sink could not send earlier: the same
// publisher, through its explicit Drain.
func (a *App) Outbox() (domain.OutboxDrainer, error) {
	p, err := a.publisher()
	if err != nil {
		return nil, err
	}
	return p, nil
}

// publisher is the one Service Bus publisher behind EventSink and Outbox.
func (a *App) publisher() (*servicebus.Publisher, error) {
	return a.events.get(func() (*servicebus.Publisher, error) {
		store, err := a.BlobStore()
		if err != nil {
			return nil, err
		}
		p, err := servicebus.New(servicebus.Options{
			ConnectionString: a.Config.ServiceBusConnectionString,
			Namespace:        a.Config.ServiceBusNamespace, Credential: a.Cred,
			Queue: a.Config.ServiceBusQueue, Outbox: store.Outbox(), Logger: a.Log,
		})
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the remediation event sink: check the SERVICEBUS_* settings")
		}
		a.onClose(p.Close)
		return p, nil
	})
}

// Users reads one user at a time and the app's claim configuration
// (graph/lookup): the diagnosis's directory and the audit's claim.
func (a *App) Users() (*lookup.Directory, error) {
	return a.users.get(func() (*lookup.Directory, error) {
		d, err := lookup.New(lookup.Options{
			BaseURL: a.Config.GraphBaseURL, Credential: a.Cred, Pin: a.PinnedApp, Owner: a.OwnerID,
		})
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Entra ID directory adapter: check GRAPH_BASE_URL")
		}
		return d, nil
	})
}

// ProvisionJob is the provision job: the Graph adapter with the app's
// credential, the blob lease lock, the desired state from the settings. It
// also finds the app for the archive (without APP_ID) and is the drift check.
func (a *App) ProvisionJob() (*provision.Job, error) {
	return a.provision.get(func() (*provision.Job, error) {
		dir, err := graph.New(graph.Options{BaseURL: a.Config.GraphBaseURL, Credential: a.Cred, Log: a.Log, TemplateID: a.Config.Cloud.TemplateID})
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Graph adapter: check GRAPH_BASE_URL")
		}
		store, err := a.BlobStore()
		if err != nil {
			return nil, err
		}
		c := a.Config
		return &provision.Job{
			Directory: dir, Lock: store.Lock(), Tenant: c.TenantID, LoginAuthority: c.LoginAuthority,
			AppID: c.AppID, Pins: store.Pins(), Owner: a.OwnerID, Privileged: c.GraphPrivileged, Log: a.Log,
			Desired: provision.Desired{
				DisplayName: c.AppDisplayName, ClaimSource: c.ClaimSource, Assign: c.Assign,
				CertLifetime: c.CertLifetime, CertRotateBefore: c.CertRotateBefore, TemplateID: c.Cloud.TemplateID, SignOnURL: c.SignOnURL,
			},
		}, nil
	})
}

// PinnedApp is the pinned Aircall app, checked against APP_ID: the one
// source of "which app is ours" for every job (docs/security.md).
func (a *App) PinnedApp(ctx context.Context) (domain.PinnedApp, error) {
	store, err := a.BlobStore()
	if err != nil {
		return domain.PinnedApp{}, err
	}
	return provision.PinnedAppSource(store.Pins(), a.Config.AppID)(ctx)
}

// OwnerID is the object id that must own the Aircall app:
// APP_OWNER_OBJECT_ID, else the oid of this identity's Graph token.
func (a *App) OwnerID(ctx context.Context) (string, error) {
	if a.Config.AppOwnerID != "" {
		return a.Config.AppOwnerID, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.owner == "" {
		id, err := graph.CallerObjectID(ctx, a.Cred, a.Config.GraphBaseURL)
		if err != nil {
			return "", err
		}
		a.owner = id
	}
	return a.owner, nil
}

// ArchiveJob is the federation metadata job; it finds the pinned app
// through the provision job (by the pinned appId, owned by this identity).
func (a *App) ArchiveJob() (*archive.Job, error) {
	return a.archive.get(func() (*archive.Job, error) {
		apps, err := a.ProvisionJob()
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the app finder: check GRAPH_BASE_URL")
		}
		store, err := a.BlobStore()
		if err != nil {
			return nil, err
		}
		sink, err := a.EventSink()
		if err != nil {
			return nil, err
		}
		// The metadata's trust anchors: the SP's keys, read through the lean client.
		keys, err := graphrest.New(graphrest.Options{BaseURL: a.Config.GraphBaseURL, Credential: a.Cred})
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Graph reader of the metadata's signing keys: check GRAPH_BASE_URL")
		}
		return &archive.Job{
			Apps: apps, Fetcher: &fedmeta.Fetcher{Authority: a.Config.LoginAuthority}, Keys: keys, Store: store.Snapshots(),
			Events: sink, Thresholds: a.Config.CertExpiryWarn, Log: a.Log,
		}, nil
	})
}

// AuditJob is the audit: the bulk pager (its throttle hook feeds the job),
// Blob for checkpoints, reports and the lock, the event sink, the claim
// configuration and the app checks.
func (a *App) AuditJob() (*audit.Job, error) {
	return a.audit.get(func() (*audit.Job, error) {
		store, err := a.BlobStore()
		if err != nil {
			return nil, err
		}
		users, sink, err := a.usersAndSink()
		if err != nil {
			return nil, err
		}
		outbox, err := a.Outbox()
		if err != nil {
			return nil, err
		}
		c := a.Config
		job := &audit.Job{
			Checkpoints: store.Checkpoints(), Reports: store.Reports(), Index: store.Reports(), Lock: store.Lock(), Events: sink, Outbox: outbox,
			Claim: users.EmailClaim, Checks: a.appChecks(), People: users,
			Scope: domain.AuditScope(c.AuditScope), Workers: c.AuditShards, Budget: c.AuditTimeBudget, Log: a.Log,
		}
		dir, err := graphrest.New(graphrest.Options{BaseURL: c.GraphBaseURL, Credential: a.Cred, Pin: a.PinnedApp,
			Owner: a.OwnerID, OnThrottle: job.OnThrottle})
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Graph pager: check GRAPH_BASE_URL")
		}
		job.Directory = dir
		if job.Aircall, job.AircallSnapshots, err = a.aircallParts(store); err != nil {
			return nil, err
		}
		return job, nil
	})
}

// DiagnoseJob is the one-user diagnosis: the lookup directory, the event
// sink and the app checks.
func (a *App) DiagnoseJob() (*diagnose.Job, error) {
	return a.diagnose.get(func() (*diagnose.Job, error) {
		users, sink, err := a.usersAndSink()
		if err != nil {
			return nil, err
		}
		job := &diagnose.Job{Directory: users, Events: sink, Checks: a.appChecks()}
		if a.aircallOn() {
			store, err := a.BlobStore()
			if err != nil {
				return nil, err
			}
			job.Aircall = store.AircallUsers()
		}
		return job, nil
	})
}

// usersAndSink are what audit and diagnose both read and write through.
func (a *App) usersAndSink() (*lookup.Directory, domain.EventSink, error) {
	users, err := a.Users()
	if err != nil {
		return nil, nil, err
	}
	sink, err := a.EventSink()
	if err != nil {
		return nil, nil, err
	}
	return users, sink, nil
}

// appChecks are the app-wide checks of audit and diagnose; each builds its
// job when it first runs, so a check that cannot be built fails alone.
func (a *App) appChecks() map[string]domain.AppCheck {
	return map[string]domain.AppCheck{
		domain.CheckAppDrift: func(ctx context.Context) ([]domain.Finding, error) {
			job, err := a.ProvisionJob()
			if err != nil {
				return nil, err
			}
			return job.Drift(ctx)
		},
		domain.CheckCertificate: func(ctx context.Context) ([]domain.Finding, error) {
			job, err := a.ArchiveJob()
			if err != nil {
				return nil, err
			}
			return job.CertificateCheck(ctx)
		},
	}
}
