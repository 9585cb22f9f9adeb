package devhost_test

import "github.com/identity-ops/aircall-entra-sso/devenv/devtest"

// MinimalSettings is a valid configuration that reaches no real service.
func MinimalSettings() []string {
	blob := devtest.Env("DEVENV_BLOB_CONNECTION_STRING")
	if blob == "" {
		blob = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;"
	}
	sb := devtest.Env("DEVENV_SERVICEBUS_CONNECTION_STRING")
	if sb == "" {
		sb = "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=devenv;SharedAccessKey=aaaa;UseDevelopmentEmulator=true"
	}
	return []string{
		"ENTRA_TENANT_ID=11111111-2222-3333-4444-555555555555",
		"GRAPH_BASE_URL=http://127.0.0.1:1",
		"LOGIN_AUTHORITY=http://127.0.0.1:1",
		"BLOB_CONNECTION_STRING=" + blob,
		"BLOB_SERVICE_URL=",
		"SERVICEBUS_NAMESPACE=",
		"SERVICEBUS_CONNECTION_STRING=" + sb,
	}
}
