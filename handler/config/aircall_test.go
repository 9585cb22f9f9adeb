package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/config"
)

func TestAircallSettings(t *testing.T) {
	c, err := load(valid())
	if err != nil {
		t.Fatal(err)
	}
	if c.AircallBaseURL != "https://api.aircall.io" || c.AircallAPIID != "" || c.AircallAPIToken != "" {
		t.Fatalf("defaults: base %q id %q token %q", c.AircallBaseURL, c.AircallAPIID, c.AircallAPIToken)
	}
	m := valid()
	m["AIRCALL_API_BASE_URL"] = "http://127.0.0.1:4010/"
	m["AIRCALL_API_ID"], m["AIRCALL_API_TOKEN"] = "id-7f3a", "tok-very-secret-9b1c"
	if c, err = load(m); err != nil || c.AircallBaseURL != "http://127.0.0.1:4010" || c.AircallAPIID != "id-7f3a" || c.AircallAPIToken != "tok-very-secret-9b1c" {
		t.Fatalf("loopback simulator settings: %+v, %v", c, err)
	}
	for _, tc := range []struct{ name, value, unset, want string }{
		{"AIRCALL_API_BASE_URL", "http://api.aircall.io", "", "https"},
		{"AIRCALL_API_ID", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/aircall-api-id/)", "", "Key Vault"},
		{"AIRCALL_API_TOKEN", "", "AIRCALL_API_TOKEN", "set both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := valid()
			m["AIRCALL_API_ID"], m["AIRCALL_API_TOKEN"] = "id-7f3a", "tok-very-secret-9b1c"
			m[tc.name] = tc.value
			_, err := load(m)
			var se *config.SettingError
			if err == nil || !errors.As(err, &se) || se.Name != tc.name || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s (%q)", err, tc.name, tc.want)
			}
			if strings.Contains(err.Error(), "tok-very-secret-9b1c") || strings.Contains(err.Error(), "id-7f3a") {
				t.Fatalf("error echoes a secret: %v", err)
			}
		})
	}
}

func TestAircallHTTPRefusedInAzure(t *testing.T) {
	m := valid()
	m["WEBSITE_INSTANCE_ID"] = "5d4e0000"
	m["AIRCALL_API_BASE_URL"] = "http://127.0.0.1:4010"
	_, err := load(m)
	var se *config.SettingError
	if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), "AIRCALL_API_BASE_URL must be https in Azure") {
		t.Fatalf("loopback Aircall API in Azure: %v", err)
	}
}
