package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

func init() { registerStep("archive", demoArchive) }

// demoArchive archives the app's federation metadata through the timer,
// rotates the signing certificate in the simulator, archives again, and
// prints both versions and the diff from GET /api/metadata.
func demoArchive(d *demo) error {
	apps := d.sim.Tenant().Apps()
	if len(apps) == 0 {
		return fmt.Errorf("no app in the tenant: the provision step must run first")
	}
	app := apps[len(apps)-1]
	run := func(label string) error {
		title(d.out, label)
		a, err := d.host.FireTimer(d.ctx(), "metadata-archive", false, true)
		if err != nil {
			return err
		}
		if a.HandlerStatus != http.StatusOK {
			return fmt.Errorf("metadata-archive failed: %d %s", a.HandlerStatus, a.Body)
		}
		fmt.Fprintln(d.out, "metadata-archive timer: ok")
		return nil
	}
	if err := run("metadata-archive (timer): first archive"); err != nil {
		return err
	}
	if err := run("metadata-archive (timer): unchanged, writes nothing"); err != nil {
		return err
	}
	title(d.out, "Rotate the app's signing certificate in the simulated tenant")
	thumb, err := d.sim.Tenant().RotateSigningCertificate(app.AppID)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "new active certificate %s\n", thumb)
	if err := run("metadata-archive (timer): after rotation"); err != nil {
		return err
	}
	title(d.out, "GET /api/metadata (latest version, history and diff)")
	st, body, err := d.call(http.MethodGet, "/api/metadata", nil, nil)
	if err != nil {
		return err
	}
	if st != http.StatusOK {
		return fmt.Errorf("GET /api/metadata: %d %s", st, body)
	}
	var sum map[string]any
	if err := json.Unmarshal(body, &sum); err != nil {
		return err
	}
	fmt.Fprintln(d.out, pretty(body))
	title(d.out, "GET /api/metadata?format=xml (the file to send Aircall)")
	st, xml, err := d.call(http.MethodGet, "/api/metadata?format=xml", nil, nil)
	if err != nil {
		return err
	}
	first := strings.SplitN(strings.TrimPrefix(string(xml), "\ufeff"), ">", 2)[0] + ">"
	fmt.Fprintf(d.out, "%d, %d bytes, starts %s\n", st, len(xml), first)
	return nil
}
