package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// demoArchiveForged shows the archive refusing what an attacker between the
// handler and the sign-in authority could answer (docs/metadata.md,
// "Trust"): a self-consistent forgery signed with their own key, with their
// certificate in KeyInfo and in every KeyDescriptor and their SSO URL; then
// a redirect to another host. Each run fails with a metadata.invalid event,
// and the blobs and GET /api/metadata?format=xml stay as they were.
func demoArchiveForged(d *demo, app graphsim.AppInfo, arch *archiveBlobs) error {
	_, genuine, err := d.call(http.MethodGet, "/api/metadata?format=xml", nil, nil)
	if err != nil {
		return err
	}
	before, err := arch.blobs()
	if err != nil {
		return err
	}
	var hits atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(genuine)
	}))
	defer attacker.Close()
	ten := d.sim.Tenant()
	defer ten.ForgeMetadata(nil)

	evil := ten.ForgeMetadata(&graphsim.MetadataForgery{})
	title(d.out, "Forged metadata: the login authority answers a document signed with the attacker's key "+evil)
	if err := d.archiveRun("metadata-archive (timer): forged document", http.StatusInternalServerError); err != nil {
		return err
	}
	ten.ForgeMetadata(&graphsim.MetadataForgery{RedirectTo: attacker.URL})
	if err := d.archiveRun("metadata-archive (timer): redirect to "+attacker.URL, http.StatusInternalServerError); err != nil {
		return err
	}
	if hits.Load() != 0 {
		return fmt.Errorf("the fetch followed the redirect to %s", attacker.URL)
	}
	if err := arch.unchanged(before, "a refused document"); err != nil {
		return err
	}
	_, served, err := d.call(http.MethodGet, "/api/metadata?format=xml", nil, nil)
	if err != nil {
		return err
	}
	if !bytes.Equal(served, genuine) || bytes.Contains(served, []byte("attacker")) {
		return fmt.Errorf("GET /api/metadata?format=xml changed after a refused document")
	}
	fmt.Fprintf(d.out, "checked: both refused (metadata.invalid events, see the queue below), no blob written, the redirect not followed, GET /api/metadata?format=xml still serves the genuine %d bytes\n", len(served))
	return nil
}
