package devhost

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// RepoRoot returns the repository root (the folder holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AssembleAppRoot builds the handler for this machine into dst and copies
// host.json and every functions/<name>/ folder beside it: the same layout
// `make build` produces in dist/. When prebuilt is a readable app root
// (e.g. dist/ from make build, or $DEVHOST_APPROOT) it is used as is.
func AssembleAppRoot(dst string) (string, error) {
	if pre := os.Getenv("DEVHOST_APPROOT"); pre != "" {
		if _, err := os.Stat(filepath.Join(pre, "handler")); err == nil {
			return pre, nil
		}
	}
	root := RepoRoot()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dst, "handler"), "./handler")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./handler: %v\n%s", err, out)
	}
	if err := copyFile(filepath.Join(root, "host.json"), filepath.Join(dst, "host.json")); err != nil {
		return "", err
	}
	dirs, err := filepath.Glob(filepath.Join(root, "functions", "*", "function.json"))
	if err != nil {
		return "", err
	}
	for _, fj := range dirs {
		name := filepath.Base(filepath.Dir(fj))
		if err := os.MkdirAll(filepath.Join(dst, name), 0o755); err != nil {
			return "", err
		}
		if err := copyFile(fj, filepath.Join(dst, name, "function.json")); err != nil {
			return "", err
		}
	}
	return dst, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// LocalSettings reads the Values of a local.settings.json as KEY=VALUE pairs.
func LocalSettings(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ls struct {
		Values map[string]string `json:"Values"`
	}
	if err := jsonUnmarshal(b, &ls); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var env []string
	for k, v := range ls.Values {
		if strings.TrimSpace(k) != "" {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}
