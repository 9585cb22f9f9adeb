package graphsim_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductionBinaryDoesNotImportSimulator guards the rule that the
// handler binary contains no simulator code.
func TestProductionBinaryDoesNotImportSimulator(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/identity-ops/aircall-entra-sso/handler").CombinedOutput()
	if err != nil {
		t.Skipf("go list the handler binary: %v: %s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "/devenv/") {
			t.Errorf("the production binary imports %s", p)
		}
	}
}
