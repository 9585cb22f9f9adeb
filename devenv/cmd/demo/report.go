package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func init() { registerStep("report", demoReport) }

// demoReport asks the real report function, through the host stand-in with
// the function key, for the page of the latest audit, and writes it to
// dist/report.html for the newcomer to open in a browser.
func demoReport(d *demo) error {
	title(d.out, "GET /api/report (the audit report page people open)")
	st, body, err := d.call(http.MethodGet, "/api/report", nil, nil)
	if err != nil {
		return err
	}
	if st != http.StatusOK {
		return fmt.Errorf("GET /api/report: %d %s", st, body)
	}
	_, csv, err := d.call(http.MethodGet, "/api/report?format=csv", nil, nil)
	if err != nil {
		return err
	}
	path := filepath.Join(d.dist, "report.html")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%d, %d bytes written to %s; the CSV lists %d people (?format=csv), the JSON the same data (?format=json)\n",
		st, len(body), path, strings.Count(string(csv), "\n")-1)
	d.reportPage = path // main prints it last
	return nil
}
