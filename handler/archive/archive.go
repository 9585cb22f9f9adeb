// Package archive is the federation metadata job: fetch the Aircall app's
// metadata from Entra, validate it (package fedmeta), store each distinct
// version once (domain.SnapshotStore), move the "latest" pointer, and send
// events when the signing certificates change, when one nears its expiry
// (each configured threshold once) and when the metadata is invalid or
// unreachable. It also answers what the metadata function shows (the
// latest summary, the history and the XML itself) and, as the "certificate"
// app check of audit and diagnose, whether the signing certificate nears its
// expiry: that policy lives in certcheck.go and nowhere else.
//
// It decides policy only: it never talks to Blob, Service Bus or HTTP
// directly (ports and the fedmeta fetcher do), and it never reads settings.
package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
)

// AppLocator says which app's metadata to archive. A static appId from the
// settings is one (StaticApp); the provision job's finder, which looks the
// app up by its managed tag, can be another.
type AppLocator interface {
	LocateApp(ctx context.Context) (domain.AppRef, error)
}

// StaticApp is an AppLocator for a known tenant and appId.
type StaticApp domain.AppRef

// LocateApp returns the app, or EINVALID when it is incomplete.
func (s StaticApp) LocateApp(context.Context) (domain.AppRef, error) {
	r := domain.AppRef(s)
	if err := r.Validate(); err != nil {
		return r, err
	}
	return r, nil
}

// Fetcher downloads the metadata document; *fedmeta.Fetcher is one.
type Fetcher interface {
	Fetch(ctx context.Context, app domain.AppRef) (*fedmeta.Fetched, error)
	// URL is the document's address: the link Aircall may ask for.
	URL(app domain.AppRef) string
}

// DefaultThresholds are the expiry warnings: 60, 30 and 7 days before.
var DefaultThresholds = []time.Duration{60 * 24 * time.Hour, 30 * 24 * time.Hour, 7 * 24 * time.Hour}

// Job archives the app's federation metadata. Apps, Fetcher, Keys, Store
// and Events are required.
type Job struct {
	Apps    AppLocator
	Fetcher Fetcher
	// Keys reads the service principal's signing keys from Graph: the only
	// trust anchors of a fetched document (docs/metadata.md, "Trust").
	Keys   domain.SigningKeyReader
	Store  domain.SnapshotStore
	Events domain.EventSink
	// Thresholds are how long before a certificate's expiry to warn; each
	// alerts once per certificate (default DefaultThresholds).
	Thresholds []time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log is used when Run gets no logger (default slog.Default()).
	Log *slog.Logger
}

// Result is what one run did.
type Result struct {
	App domain.AppRef `json:"app"`
	// URL is where the document was fetched from.
	URL string `json:"url"`
	// Snapshot is the metadata now in effect (its Name is the stored version).
	Snapshot domain.MetadataSnapshot `json:"snapshot"`
	// Previous is the snapshot that was latest before this run, if any.
	Previous *domain.MetadataSnapshot `json:"previous,omitempty"`
	// Stored is set when a new document was written to the archive.
	Stored bool `json:"stored"`
	// PointerMoved is set when the latest pointer was written.
	PointerMoved bool `json:"pointerMoved"`
	// Diff compares Previous with Snapshot (nil on the first run).
	Diff *fedmeta.Diff `json:"diff,omitempty"`
	// Findings are the events sent, in order.
	Findings []domain.Finding `json:"findings,omitempty"`
}

// Run archives the metadata once. An invalid or unreachable document
// publishes a metadata-invalid event, writes nothing, and returns the
// fetch or validation error (EUPSTREAM / EUNAVAILABLE) that says what is
// wrong. Storage or event-sink failures return their error; the next run
// repeats the work (events carry stable ids, documents are deduplicated).
func (j *Job) Run(ctx context.Context, log *slog.Logger) (*Result, error) {
	if log == nil {
		log = j.Log
	}
	if log == nil {
		log = slog.Default()
	}
	if j.Apps == nil || j.Fetcher == nil || j.Keys == nil || j.Store == nil || j.Events == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "archive: the job is not fully wired (apps, fetcher, keys, store and events are required)")
	}
	now := j.now()
	app, err := j.Apps.LocateApp(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive: find the Aircall app: %w", err)
	}
	res := &Result{App: app, URL: j.Fetcher.URL(app)}
	log = log.With("tenant", app.Tenant, "appId", app.AppID)

	fetched, meta, err := j.fetch(ctx, app, now)
	if err != nil {
		return res, j.invalid(ctx, log, res, err, now)
	}
	snap := domain.MetadataSnapshot{
		App: app, SHA256: fedmeta.SHA256Hex(fetched.Body), Size: int64(len(fetched.Body)), FetchedAt: now,
		SourceURL: fetched.URL, EntityID: meta.EntityID, SingleSignOnURLs: meta.SingleSignOnURLs,
		SingleLogoutURLs: meta.SingleLogoutURLs, Certificates: meta.Certificates,
	}
	snap.Digest = snap.VersionDigest()

	latest, etag, err := j.Store.Latest(ctx, app)
	first := domain.IsCode(err, domain.ENOTFOUND)
	if err != nil && !first {
		return res, fmt.Errorf("archive: read the latest metadata of %s: %w", app, err)
	}
	// One version per VersionDigest: a download that differs only in its ID
	// and signature writes nothing (docs/metadata.md, "Versions").
	same := !first && latest.Snapshot.VersionDigest() == snap.Digest
	if same {
		snap = latest.Snapshot
	} else {
		stored, created, err := j.Store.Put(ctx, snap, fetched.Body)
		if err != nil {
			return res, fmt.Errorf("archive: store the new metadata version of %s: %w", app, err)
		}
		snap, res.Stored = stored, created
		log.Info("metadata version archived", "version", snap.Name, "digest", snap.Digest, "sha256", snap.SHA256, "new", created,
			"thumbprints", strings.Join(snap.Thumbprints(), ","))
	}
	res.Snapshot = snap

	if !first {
		prev := latest.Snapshot
		res.Previous = &prev
		if !same {
			d := fedmeta.Compare(prev, snap)
			res.Diff = &d
			res.Findings = append(res.Findings, changeFindings(app, prev, snap, d, now)...)
		}
	}
	alerts, expiring := j.expiry(app, snap, latest.ExpiryAlerts, now)
	res.Findings = append(res.Findings, expiring...)

	if err := j.send(ctx, log, res.Findings); err != nil {
		return res, err
	}

	if first || !same || !maps.Equal(alerts, latest.ExpiryAlerts) {
		next := domain.LatestMetadata{Snapshot: snap, ExpiryAlerts: alerts}
		if err := j.moveLatest(ctx, log, res, next, etag); err != nil {
			return res, err
		}
	}
	if !res.Stored && !res.PointerMoved {
		log.Info("metadata unchanged", "version", snap.Name, "sha256", snap.SHA256)
	}
	return res, nil
}

// fetch downloads the document, reads what Graph lists for the app's
// service principal (after the download, so a certificate added meanwhile
// is known) and validates the document against it. A document problem
// carries a fedmeta Problem; a Graph failure does not (no document was
// judged).
func (j *Job) fetch(ctx context.Context, app domain.AppRef, now time.Time) (*fedmeta.Fetched, *fedmeta.Metadata, error) {
	fetched, err := j.Fetcher.Fetch(ctx, app)
	if err != nil {
		return nil, nil, err
	}
	keys, err := j.Keys.ServicePrincipalKeys(ctx, app)
	if err != nil {
		return nil, nil, fmt.Errorf("archive: read the signing keys of app %s's service principal from Graph, the metadata's trust anchors: %w", app.AppID, err)
	}
	meta, err := fedmeta.Parse(fetched.Body, fedmeta.Options{Tenant: app.Tenant, Now: now, Keys: &keys})
	if err != nil {
		return nil, nil, err
	}
	return fetched, meta, nil
}

// send publishes the run's findings as events, if any.
func (j *Job) send(ctx context.Context, log *slog.Logger, findings []domain.Finding) error {
	if len(findings) == 0 {
		return nil
	}
	events, err := domain.NewEvents(findings)
	if err != nil {
		return err
	}
	if err := j.Events.Publish(ctx, events); err != nil {
		return fmt.Errorf("archive: send %d metadata event(s); the next run sends them again: %w", len(events), err)
	}
	for _, f := range findings {
		log.Info("metadata event sent", "kind", string(f.Kind), "key", f.Key, "state", f.State, "id", f.ID())
	}
	return nil
}

// moveLatest writes the latest pointer (res.PointerMoved), unless a
// concurrent run already moved it to the same document.
func (j *Job) moveLatest(ctx context.Context, log *slog.Logger, res *Result, next domain.LatestMetadata, etag string) error {
	app := res.App
	_, err := j.Store.SetLatest(ctx, app, next, etag)
	if err == nil {
		res.PointerMoved = true
		return nil
	}
	if !domain.IsCode(err, domain.ECONFLICT) {
		return fmt.Errorf("archive: move the latest metadata pointer of %s: %w", app, err)
	}
	cur, _, rerr := j.Store.Latest(ctx, app)
	if rerr != nil || cur.Snapshot.VersionDigest() != next.Snapshot.VersionDigest() {
		return domain.Wrap(domain.ECONFLICT, err, "archive: another archive run moved the latest metadata pointer of %s at the same time: run again", app)
	}
	log.Info("latest pointer already moved by a concurrent run", "version", cur.Snapshot.Name)
	return nil
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now().UTC()
	}
	return time.Now().UTC()
}

// invalid publishes the metadata-invalid event for err and returns err,
// joined with a publishing failure if there is one.
func (j *Job) invalid(ctx context.Context, log *slog.Logger, res *Result, err error, now time.Time) error {
	p := fedmeta.ProblemOf(err)
	if p == "" {
		// Not a document problem (a bad app reference, a bug): no event.
		return err
	}
	sev := domain.SeverityError
	remedy := "Check the handler log for the cause; Aircall keeps working with the metadata it already has."
	switch p {
	case fedmeta.ProblemUnreachable, fedmeta.ProblemHTTPStatus:
		remedy = "Check LOGIN_AUTHORITY, ENTRA_TENANT_ID and the app's appId, and that the function app can reach the sign-in authority; the next run retries."
		sev = domain.SeverityWarning
	case fedmeta.ProblemNoCertificate, fedmeta.ProblemSignerExpired:
		remedy = "Give the Aircall app a valid, active SAML signing certificate (run provision, or Single sign-on → SAML Certificates in the portal), then send Aircall the new metadata."
	case fedmeta.ProblemEntityID:
		remedy = "ENTRA_TENANT_ID or LOGIN_AUTHORITY points at the wrong tenant or cloud: fix the setting."
	case fedmeta.ProblemUntrustedSigner, fedmeta.ProblemUntrustedCertificate, fedmeta.ProblemRedirect:
		remedy = "Nothing was archived and GET /api/metadata still serves the last trusted version. The document did not come from Entra ID as signed by the app's own certificates: check LOGIN_AUTHORITY and any proxy between the function app and the sign-in authority, and do not send this document to Aircall."
	}
	f := domain.Finding{
		Kind: domain.FindingMetadataInvalid, Severity: sev, Key: res.App.String(), State: "problem=" + string(p),
		Subject: "app/" + res.App.AppID + "/federation-metadata", Summary: domain.ErrorMessage(err), Remedy: remedy,
		Details: map[string]any{"problem": string(p), "url": res.URL}, ObservedAt: now,
	}
	res.Findings = []domain.Finding{f}
	log.Warn("metadata refused", "problem", string(p), "error", domain.ErrorMessage(err))
	events, eerr := domain.NewEvents(res.Findings)
	if eerr == nil {
		eerr = j.Events.Publish(ctx, events)
	}
	if eerr != nil {
		return errors.Join(err, fmt.Errorf("archive: the metadata-invalid event could not be sent: %w", eerr))
	}
	return err
}

// changeFindings turns a diff into events: one for the signing certificates
// and one for the entityID and endpoints.
func changeFindings(app domain.AppRef, prev, cur domain.MetadataSnapshot, d fedmeta.Diff, now time.Time) []domain.Finding {
	var out []domain.Finding
	subject := "app/" + app.AppID + "/federation-metadata"
	details := map[string]any{"previousVersion": prev.Name, "version": cur.Name, "diff": d.String()}
	if d.CertificatesChanged() {
		tps := slices.Clone(cur.Thumbprints())
		sort.Strings(tps)
		sev, summary := domain.SeverityWarning, "The Aircall app's SAML signing certificates changed: "+strings.ReplaceAll(d.String(), "\n", "; ")
		if d.SignerBefore != d.SignerAfter {
			sev = domain.SeverityError
		}
		cd := map[string]any{"added": thumbprints(d.Added), "removed": thumbprints(d.Removed),
			"signerBefore": d.SignerBefore, "signerAfter": d.SignerAfter}
		for k, v := range details {
			cd[k] = v
		}
		out = append(out, domain.Finding{
			Kind: domain.FindingCertChanged, Severity: sev, Key: app.String(),
			State:   "certs=" + strings.Join(tps, ",") + ";signer=" + signer(cur),
			Subject: subject, Summary: summary,
			Remedy:  "Send Aircall the new Federation Metadata XML (GET /api/metadata?format=xml) unless they read it from the metadata URL; a certificate Aircall does not know makes every sign-in fail once it becomes active.",
			Details: cd, ObservedAt: now,
		})
	}
	if len(d.Endpoints) > 0 || d.EntityIDBefore != d.EntityIDAfter {
		var urls []string
		for _, b := range sortedKeys(cur.SingleSignOnURLs) {
			urls = append(urls, b+"="+cur.SingleSignOnURLs[b])
		}
		out = append(out, domain.Finding{
			Kind: domain.FindingMetadataChanged, Severity: domain.SeverityWarning, Key: app.String(),
			State:   "entityId=" + cur.EntityID + ";sso=" + strings.Join(urls, ","),
			Subject: subject, Summary: "The Aircall app's SAML endpoints changed: " + strings.ReplaceAll(d.String(), "\n", "; "),
			Remedy:  "Send Aircall the new Federation Metadata XML (GET /api/metadata?format=xml) so their SSO configuration points at the new endpoints.",
			Details: details, ObservedAt: now,
		})
	}
	return out
}

// signer returns the thumbprint of the certificate that signs snap's
// document, "" when none of the listed ones does.
func signer(s domain.MetadataSnapshot) string {
	for _, c := range s.Certificates {
		if c.SignsDocument {
			return c.Thumbprint
		}
	}
	return ""
}

func thumbprints(cs []domain.CertificateFacts) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Thumbprint
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
