package archive

import (
	"context"
	"fmt"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
)

// Summary is what the metadata function shows: the link Aircall may ask
// for, the metadata now in effect and every archived version.
type Summary struct {
	App domain.AppRef `json:"app"`
	// MetadataURL is the App Federation Metadata Url (the link variant of
	// the help article's step 3).
	MetadataURL string `json:"metadataUrl"`
	// Latest is the metadata in effect; nil before the first archive.
	Latest *domain.MetadataSnapshot `json:"latest"`
	// Certificates repeats Latest's certificates with the days left.
	Certificates []CertificateStatus `json:"certificates,omitempty"`
	// History lists the archived versions, newest fetch first.
	History []Version `json:"history"`
}

// CertificateStatus is a certificate of the latest metadata and its expiry.
type CertificateStatus struct {
	domain.CertificateFacts
	DaysLeft int `json:"daysLeft"`
}

// Version is one archived document and what changed from the version before.
type Version struct {
	Name      string    `json:"name"`
	FetchedAt time.Time `json:"fetchedAt"`
	// Digest identifies the version (entityID, certificates, endpoints);
	// SHA256 is that of the bytes of its first download.
	Digest      string   `json:"digest"`
	SHA256      string   `json:"sha256"`
	Size        int64    `json:"size"`
	Thumbprints []string `json:"thumbprints"`
	// Changes describes the difference from the next older version ("" for
	// the oldest).
	Changes string `json:"changes,omitempty"`
}

// Summary reads the latest pointer and the history. It works before the
// first archive (Latest nil, History empty).
func (j *Job) Summary(ctx context.Context) (*Summary, error) {
	app, err := j.Apps.LocateApp(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive: find the Aircall app: %w", err)
	}
	s := &Summary{App: app, MetadataURL: j.Fetcher.URL(app), History: []Version{}}
	latest, _, err := j.Store.Latest(ctx, app)
	switch {
	case domain.IsCode(err, domain.ENOTFOUND):
	case err != nil:
		return nil, fmt.Errorf("archive: read the latest metadata of %s: %w", app, err)
	default:
		s.Latest = &latest.Snapshot
		now := j.now()
		for _, c := range latest.Snapshot.Certificates {
			s.Certificates = append(s.Certificates, CertificateStatus{CertificateFacts: c, DaysLeft: int(c.NotAfter.Sub(now).Hours() / 24)})
		}
	}
	hist, err := j.Store.History(ctx, app)
	if err != nil {
		return nil, fmt.Errorf("archive: list the metadata history of %s: %w", app, err)
	}
	for i, h := range hist {
		v := Version{Name: h.Name, FetchedAt: h.FetchedAt, Digest: h.Digest, SHA256: h.SHA256, Size: h.Size, Thumbprints: h.Thumbprints()}
		if i+1 < len(hist) {
			v.Changes = fedmeta.Compare(hist[i+1], h).String()
		}
		s.History = append(s.History, v)
	}
	return s, nil
}

// Document returns the bytes and the version name of an archived document:
// version "" means the latest. ENOTFOUND before the first archive.
func (j *Job) Document(ctx context.Context, version string) ([]byte, string, error) {
	app, err := j.Apps.LocateApp(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("archive: find the Aircall app: %w", err)
	}
	if version == "" {
		latest, _, err := j.Store.Latest(ctx, app)
		if domain.IsCode(err, domain.ENOTFOUND) {
			return nil, "", domain.Errorf(domain.ENOTFOUND,
				"no federation metadata archived yet for app %s: run `handler archive` or wait for the daily metadata-archive run", app.AppID)
		}
		if err != nil {
			return nil, "", fmt.Errorf("archive: read the latest metadata of %s: %w", app, err)
		}
		version = latest.Snapshot.Name
	}
	doc, err := j.Store.Document(ctx, app, version)
	if err != nil {
		return nil, "", err
	}
	return doc, version, nil
}
