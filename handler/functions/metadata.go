package functions

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
)

// MetadataArchiver runs one archive of the federation metadata;
// *archive.Job is one.
type MetadataArchiver interface {
	Run(ctx context.Context, log *slog.Logger) (*archive.Result, error)
}

// MetadataViewer reads the archive; *archive.Job is one.
type MetadataViewer interface {
	Summary(ctx context.Context) (*archive.Summary, error)
	Document(ctx context.Context, version string) ([]byte, string, error)
}

// MetadataDownloadName is the file name offered for ?format=xml.
const MetadataDownloadName = "aircall-federation-metadata.xml"

// MetadataArchive is the daily timer function metadata-archive: it archives
// the metadata once. A refused or unreachable document fails the invocation
// (after the metadata-invalid event was sent) so it shows in the host's
// monitoring; the next firing tries again.
func MetadataArchive(job MetadataArchiver) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		log := inv.Log
		if log == nil {
			log = slog.Default()
		}
		if inv.Timer != nil && inv.Timer.IsPastDue {
			log.Info("metadata-archive timer is past due; running now")
		}
		r, err := job.Run(ctx, log)
		if err != nil {
			return nil, err
		}
		log.Info("metadata archived", "version", r.Snapshot.Name, "stored", r.Stored,
			"pointerMoved", r.PointerMoved, "events", len(r.Findings))
		return nil, nil
	}
}

// Metadata is GET /api/metadata: the latest summary and the history as
// JSON; with ?format=xml the archived document itself (the Federation
// Metadata XML Aircall asks for) as a download, the latest or the one named
// by ?version=.
func Metadata(v MetadataViewer) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		req, err := httpRequest(inv, "metadata", http.MethodGet, "/api/metadata")
		if err != nil {
			return nil, err
		}
		version := req.Query["version"]
		switch f := strings.ToLower(req.Query["format"]); f {
		case "", "json":
			if version != "" {
				return nil, domain.FieldError("version", "is only meaningful with format=xml")
			}
			s, err := v.Summary(ctx)
			if err != nil {
				return nil, err
			}
			return funchost.JSON(http.StatusOK, s), nil
		case "xml":
			doc, name, err := v.Document(ctx, version)
			if err != nil {
				return nil, err
			}
			res := funchost.Text(http.StatusOK, "application/samlmetadata+xml", doc)
			res.Headers["Content-Disposition"] = `attachment; filename="` + MetadataDownloadName + `"`
			res.Headers["X-Metadata-Version"] = name
			res.Headers["Cache-Control"] = "no-store"
			return res, nil
		default:
			return nil, domain.FieldError("format", "must be json or xml, got %q", f)
		}
	}
}
