package archive_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
)

// ownAzurite is an Azurite started for one test with
// devenv/scripts/azurite-start.sh, so stopping it disturbs nobody.
type ownAzurite struct {
	devenv, run, port, data, conn string
	cmd                           *exec.Cmd
}

func startOwnAzurite(t *testing.T) *ownAzurite {
	_, file, _, _ := runtime.Caller(0)
	devenv := filepath.Join(filepath.Dir(file), "..", "..", "devenv")
	if _, err := os.Stat(filepath.Join(devenv, "node_modules", ".bin", "azurite-blob")); err != nil {
		if os.Getenv("DEVENV_REQUIRED") == "1" {
			t.Fatalf("azurite is not installed: run 'npm ci' in devenv/ (make dev-up does)")
		}
		t.Skip("azurite is not installed: run 'npm ci' in devenv/")
	}
	a := &ownAzurite{devenv: devenv, run: t.TempDir()}
	out, err := exec.Command(filepath.Join(devenv, "scripts", "azurite-start.sh"), a.run).Output()
	if err != nil {
		t.Fatalf("azurite-start.sh: %v", err)
	}
	a.conn = strings.TrimSpace(string(out))
	a.port = read(t, a.run, "azurite.port")
	a.data = read(t, a.run, "azurite.data")
	t.Cleanup(func() { _ = exec.Command(filepath.Join(devenv, "scripts", "stop.sh"), a.run, "azurite").Run() })
	return a
}

func read(t *testing.T, dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// stop ends the Azurite process (ours, by its recorded pid), keeping its data.
func (a *ownAzurite) stop(t *testing.T) {
	pid, err := strconv.Atoi(read(t, a.run, "azurite.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stop azurite %d: %v", pid, err)
	}
	for i := 0; i < 100; i++ {
		if syscall.Kill(pid, 0) != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a.cmd != nil {
		_ = a.cmd.Wait()
	}
}

// restart starts Azurite again on the same port and data folder.
func (a *ownAzurite) restart(t *testing.T) {
	a.cmd = exec.Command(filepath.Join(a.devenv, "node_modules", ".bin", "azurite-blob"), "--blobHost", "127.0.0.1",
		"--blobPort", a.port, "--location", a.data, "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose")
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.run, "azurite.pid"), []byte(strconv.Itoa(a.cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+a.port); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("azurite did not restart within 10 s")
}

// stopOn wraps a store and stops Azurite just before the named call.
type stopOn struct {
	domain.SnapshotStore
	call string
	stop func()
}

func (s *stopOn) Put(ctx context.Context, snap domain.MetadataSnapshot, doc []byte) (domain.MetadataSnapshot, bool, error) {
	if s.call == "Put" {
		s.stop()
	}
	return s.SnapshotStore.Put(ctx, snap, doc)
}

func (s *stopOn) SetLatest(ctx context.Context, app domain.AppRef, l domain.LatestMetadata, etag string) (string, error) {
	if s.call == "SetLatest" {
		s.stop()
	}
	return s.SnapshotStore.SetLatest(ctx, app, l, etag)
}

// TestAzuriteStoppedMidRun stops Azurite in the middle of a run — before
// the new document is stored, then between storing it and moving the
// pointer — and checks that each run fails with a clear storage error and
// that the next run, once Azurite is back, completes the work exactly once.
func TestAzuriteStoppedMidRun(t *testing.T) {
	az := startOwnAzurite(t)
	st, err := blob.New(blob.Options{ConnectionString: az.conn, Container: "archive-outage", ClientOptions: quickRetries})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	entra := newFakeEntra(t, doc([]*fedmetatest.Cert{certA}, nil))
	ev, c := &sink{}, &clock{now: t0}
	job := newJob(entra, st.Snapshots(), ev, c)
	if _, err := job.Run(ctx, nil); err != nil {
		t.Fatalf("first run: %v", err)
	}

	entra.serve(doc([]*fedmetatest.Cert{certA, certB}, certA), 200)
	var changeIDs []string
	for _, call := range []string{"Put", "SetLatest"} {
		c.now = c.now.Add(time.Hour)
		job.Store = &stopOn{SnapshotStore: st.Snapshots(), call: call, stop: func() { az.stop(t) }}
		_, err := job.Run(ctx, nil)
		if !domain.IsCode(err, domain.EUNAVAILABLE) || !strings.Contains(domain.ErrorMessage(err), "storage unreachable") {
			t.Fatalf("Azurite stopped before %s: got %v (code %s), want EUNAVAILABLE saying storage is unreachable", call, err, domain.ErrorCode(err))
		}
		for _, e := range ev.take() {
			changeIDs = append(changeIDs, e.ID)
		}
		az.restart(t)
	}

	job.Store = st.Snapshots()
	c.now = c.now.Add(time.Hour)
	r, err := job.Run(ctx, nil)
	if err != nil {
		t.Fatalf("run after Azurite is back: %v", err)
	}
	if r.Stored || !r.PointerMoved || len(r.Findings) != 1 || r.Findings[0].Kind != domain.FindingCertChanged {
		t.Fatalf("recovery run: stored=%v moved=%v findings=%+v; want the document found already stored, the pointer moved, the cert.changed event", r.Stored, r.PointerMoved, r.Findings)
	}
	for _, e := range ev.take() {
		changeIDs = append(changeIDs, e.ID)
	}
	// The event was sent by the run that stored the document and again by
	// the recovery run: the same id both times, so the sink drops the repeat.
	if len(changeIDs) != 2 || changeIDs[0] != changeIDs[1] {
		t.Fatalf("cert.changed event ids %v; want the same id twice", changeIDs)
	}
	assertHistory(t, st.Snapshots(), 2)
	r, err = job.Run(ctx, nil)
	if err != nil || r.Stored || r.PointerMoved {
		t.Fatalf("next run: %v stored=%v moved=%v; want nothing to do", err, r.Stored, r.PointerMoved)
	}
}
