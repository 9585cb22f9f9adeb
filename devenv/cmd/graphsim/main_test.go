package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestRunPrintsURLsAndStopsWhenStdinCloses(t *testing.T) {
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run([]string{"-users", "10", "-app", "-stdin", "-policy", "default"}, outW, inR) }()
	line, err := bufio.NewReader(outR).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var r ready
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("ready line %q: %v", line, err)
	}
	if r.Users != 10 || len(r.Apps) != 1 || r.MetadataURL == "" || r.TenantID == "" || r.IdentityHeader == "" {
		t.Fatalf("ready line incomplete: %s", line)
	}
	res, err := http.Get(r.MetadataURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("metadata: %d", res.StatusCode)
	}
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("graphsim did not stop when stdin closed")
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-policy", "lax"}, {"-users", "-1"}, {"-nope"}} {
		if err := run(args, io.Discard, nil); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}
