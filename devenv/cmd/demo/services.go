package main

import (
	"fmt"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
)

// setupServices points the handler's settings at the local stand-ins.
func (d *demo) setupServices() error {
	blob := devtest.Env("DEVENV_BLOB_CONNECTION_STRING")
	sb := devtest.Env("DEVENV_SERVICEBUS_CONNECTION_STRING")
	if blob == "" {
		return fmt.Errorf("Azurite is not running: run the demo with `make demo` (it starts the local services)")
	}
	d.env["BLOB_CONNECTION_STRING"] = blob
	d.env["BLOB_SERVICE_URL"] = ""
	d.env["BLOB_CONTAINER"] = "aircall-sso-demo"
	d.env["SERVICEBUS_CONNECTION_STRING"] = sb
	d.env["SERVICEBUS_NAMESPACE"] = ""
	d.env["ENTRA_TENANT_ID"] = "11111111-2222-3333-4444-555555555555"
	d.env["GRAPH_BASE_URL"] = "http://127.0.0.1:1"
	d.env["LOGIN_AUTHORITY"] = "http://127.0.0.1:1"
	return nil
}
