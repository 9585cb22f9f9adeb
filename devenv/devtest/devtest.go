// Package devtest gives tests the local stand-ins started by devenv/scripts/up.sh
// (make test runs it): Azurite's Blob connection string and the Service Bus
// peer's connection string. It is test support only; the production binary
// never imports it.
//
// When a service is not running, a test fails under make test (DEVENV_REQUIRED=1)
// and is skipped with a clear message in a plain `go test` run.
package devtest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Env returns the value of a DEVENV_* variable: from the environment, else from
// devenv/.run/env written by up.sh.
func Env(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fromRunFile(name)
}

func fromRunFile(name string) string {
	dir := os.Getenv("DEVENV_RUNDIR")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", ".run")
	}
	f, err := os.Open(filepath.Join(dir, "env"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && k == name {
			return v
		}
	}
	return ""
}

func need(t testing.TB, name, what string) string {
	t.Helper()
	v := Env(name)
	if v == "" {
		msg := what + " is not running: start it with `make dev-up` (make test does) — " + name + " is unset"
		if os.Getenv("DEVENV_REQUIRED") == "1" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}

// BlobConnectionString returns Azurite's devstoreaccount1 connection string.
func BlobConnectionString(t testing.TB) string {
	t.Helper()
	return need(t, "DEVENV_BLOB_CONNECTION_STRING", "Azurite")
}

// ServiceBusConnectionString returns the Service Bus peer's connection string.
func ServiceBusConnectionString(t testing.TB) string {
	t.Helper()
	return need(t, "DEVENV_SERVICEBUS_CONNECTION_STRING", "the Service Bus peer")
}

// UniqueName returns prefix plus 8 random hex characters, lower case: a fresh
// container, queue or key name per test so tests never see each other's data.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
