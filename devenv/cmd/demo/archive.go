package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
)

func init() { registerStep("archive", demoArchive) }

// demoArchive archives the app's federation metadata through the timer,
// archives again (the simulator, like Entra, serves a fresh ID and
// signature: the same version, nothing written), rotates the signing
// certificate in the simulator, archives again, and prints the two versions
// and the diff from GET /api/metadata. It checks each claim it prints
// against the blobs themselves, then shows the archive refusing forgeries
// (archive_forged.go).
func demoArchive(d *demo) error {
	apps := d.sim.Tenant().Apps()
	if len(apps) == 0 {
		return fmt.Errorf("no app in the tenant: the provision step must run first")
	}
	app := apps[len(apps)-1]
	arch, err := newArchiveBlobs(d, app)
	if err != nil {
		return err
	}
	if err := d.archiveRun("metadata-archive (timer): first archive", http.StatusOK); err != nil {
		return err
	}
	before, err := arch.blobs()
	if err != nil {
		return err
	}
	if err := d.archiveRun("metadata-archive (timer): unchanged, writes nothing", http.StatusOK); err != nil {
		return err
	}
	if err := arch.unchanged(before, "the unchanged run"); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "checked: %d blob(s) under %s, none written (same names and ETags)\n", len(before), arch.prefix)
	title(d.out, "Rotate the app's signing certificate in the simulated tenant")
	thumb, err := d.sim.Tenant().RotateSigningCertificate(app.AppID)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "new active certificate %s\n", thumb)
	if err := d.archiveRun("metadata-archive (timer): after rotation", http.StatusOK); err != nil {
		return err
	}
	title(d.out, "GET /api/metadata (latest version, history and diff)")
	sum, body, err := d.metadataSummary()
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, pretty(body))
	if len(sum.History) != 2 || !strings.Contains(sum.History[0].Changes, "+ certificate "+thumb) {
		return fmt.Errorf("want two versions, the newest adding certificate %s; got %d: %+v", thumb, len(sum.History), sum.History)
	}
	fmt.Fprintf(d.out, "checked: two versions (before and after the rotation), newest first, the diff adds %s\n", thumb)
	title(d.out, "GET /api/metadata?format=xml (the file to send Aircall)")
	st, xml, err := d.call(http.MethodGet, "/api/metadata?format=xml", nil, nil)
	if err != nil {
		return err
	}
	first := strings.SplitN(strings.TrimPrefix(string(xml), "\ufeff"), ">", 2)[0] + ">"
	fmt.Fprintf(d.out, "%d, %d bytes, starts %s\n", st, len(xml), first)
	return demoArchiveForged(d, app, arch)
}

// archiveRun fires the metadata-archive timer and expects the handler's
// status to the host (200 done, 500 the job failed).
func (d *demo) archiveRun(label string, want int) error {
	title(d.out, label)
	a, err := d.host.FireTimer(d.ctx(), "metadata-archive", false, true)
	if err != nil {
		return err
	}
	if a.HandlerStatus != want {
		return fmt.Errorf("metadata-archive answered the host %d, want %d: %s", a.HandlerStatus, want, a.Body)
	}
	if want == http.StatusOK {
		fmt.Fprintln(d.out, "metadata-archive timer: ok")
	} else {
		fmt.Fprintf(d.out, "metadata-archive timer: failed as it should (%d to the host)\n", a.HandlerStatus)
	}
	return nil
}

// metadataSummary is GET /api/metadata, decoded as far as the demo checks it.
type metadataSummary struct {
	Latest *struct {
		Name string `json:"name"`
	} `json:"latest"`
	History []struct {
		Name    string `json:"name"`
		Changes string `json:"changes"`
	} `json:"history"`
}

func (d *demo) metadataSummary() (*metadataSummary, []byte, error) {
	st, body, err := d.call(http.MethodGet, "/api/metadata", nil, nil)
	if err != nil {
		return nil, nil, err
	}
	if st != http.StatusOK {
		return nil, nil, fmt.Errorf("GET /api/metadata: %d %s", st, body)
	}
	var sum metadataSummary
	if err := json.Unmarshal(body, &sum); err != nil {
		return nil, nil, err
	}
	return &sum, body, nil
}

// archiveBlobs reads the app's metadata archive straight from Blob, so the
// demo checks what the API claims.
type archiveBlobs struct {
	cc     *container.Client
	prefix string
}

func newArchiveBlobs(d *demo, app graphsim.AppInfo) (*archiveBlobs, error) {
	s, err := blob.New(blob.Options{ConnectionString: d.env["BLOB_CONNECTION_STRING"], Container: d.env["BLOB_CONTAINER"]})
	if err != nil {
		return nil, err
	}
	return &archiveBlobs{cc: s.ContainerClient(), prefix: d.sim.TenantID() + "/" + app.AppID + "/metadata/"}, nil
}

// blobs maps each blob of the archive to its ETag.
func (a *archiveBlobs) blobs() (map[string]string, error) {
	out := map[string]string{}
	pager := a.cc.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: to.Ptr(a.prefix)})
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			return nil, err
		}
		for _, b := range page.Segment.BlobItems {
			out[*b.Name] = string(*b.Properties.ETag)
		}
	}
	return out, nil
}

// unchanged fails when any blob of the archive was added or rewritten
// since before.
func (a *archiveBlobs) unchanged(before map[string]string, what string) error {
	after, err := a.blobs()
	if err != nil {
		return err
	}
	if len(after) != len(before) {
		return fmt.Errorf("%s wrote: %d blob(s) before, %d after", what, len(before), len(after))
	}
	for name, etag := range before {
		if after[name] != etag {
			return fmt.Errorf("%s rewrote %s", what, name)
		}
	}
	return nil
}
