package blob_test

import (
	"context"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestSnapshotConformance(t *testing.T) {
	porttest.SnapshotStore(t, func(t *testing.T) domain.SnapshotStore { return newStore(t).Snapshots() })
}

// TestSnapshotBlobShape checks what an operator sees in the storage account:
// the blob path, content type, metadata and index tags of a stored document.
func TestSnapshotBlobShape(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	app := domain.AppRef{Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", AppID: "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"}
	at := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	doc := []byte("<EntityDescriptor/>")
	snap := domain.MetadataSnapshot{App: app, SHA256: "7c4a8d09ca3762af61e59520943dc26494f8941b7c4a8d09ca3762af61e59520",
		FetchedAt: at, EntityID: "https://sts.windows.net/" + app.Tenant + "/",
		Certificates: []domain.CertificateFacts{{Thumbprint: "DABB8146F7F274248FC08757B38D5F05F4C2CD21", Subject: "CN=Ünïcode Subject", NotAfter: at.AddDate(1, 0, 0)}}}
	got, created, err := s.Snapshots().Put(ctx, snap, doc)
	if err != nil || !created {
		t.Fatalf("put: %v %v", created, err)
	}
	if got.Digest != snap.VersionDigest() {
		t.Fatalf("digest %q, want the version digest %q", got.Digest, snap.VersionDigest())
	}
	path := app.Tenant + "/" + app.AppID + "/metadata/20260601T020000Z-" + got.Digest[:16] + ".xml"
	bb := s.ContainerClient().NewBlobClient(path)
	props, err := bb.GetProperties(ctx, nil)
	if err != nil {
		t.Fatalf("blob %s: %v", path, err)
	}
	if *props.ContentType != "application/samlmetadata+xml" {
		t.Errorf("content type %q", *props.ContentType)
	}
	md := map[string]string{}
	for k, v := range props.Metadata {
		md[lower(k)] = *v
	}
	if md["sha256"] != snap.SHA256 || md["digest"] != got.Digest || md["thumbprints"] != "DABB8146F7F274248FC08757B38D5F05F4C2CD21" || md["notafter"] != "2027-06-01T02:00:00Z" || md["facts"] == "" {
		t.Errorf("metadata %v", md)
	}
	tags, err := bb.GetTags(ctx, nil)
	if err != nil {
		t.Fatalf("get tags (Azurite supports blob index tags since 3.x): %v", err)
	}
	tm := map[string]string{}
	for _, tag := range tags.BlobTagSet {
		tm[*tag.Key] = *tag.Value
	}
	if tm["sha256"] != snap.SHA256 || tm["digest"] != got.Digest || tm["appid"] != app.AppID || tm["kind"] != "federation-metadata" || tm["thumbprints"] != "DABB8146F7F274248FC08757B38D5F05F4C2CD21" {
		t.Errorf("tags %v", tm)
	}
	h, err := s.Snapshots().History(ctx, app)
	if err != nil || len(h) != 1 || h[0].Certificates[0].Subject != "CN=Ünïcode Subject" || h[0].Name != got.Name {
		t.Errorf("history %+v %v: want the non-ASCII subject back from the facts", h, err)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
