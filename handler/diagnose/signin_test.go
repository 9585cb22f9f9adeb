package diagnose

import (
	"strings"
	"testing"
)

// TestTextPointsToSignInWithSSO: Aircall refuses IdP-initiated sign-in, so
// a diagnosis that lets the person sign in tells them where to start.
func TestTextPointsToSignInWithSSO(t *testing.T) {
	for _, v := range []Verdict{VerdictOK, VerdictAtRisk} {
		if got := text(&Diagnosis{User: "ada@contoso.com", Verdict: v}); !strings.Contains(got, `"Sign in with SSO"`) {
			t.Errorf("%s: text lacks Aircall's \"Sign in with SSO\":\n%s", v, got)
		}
	}
	if got := text(&Diagnosis{User: "x@contoso.com", Verdict: VerdictNotFound}); strings.Contains(got, "Sign in with SSO") {
		t.Errorf("a user who does not exist gets no sign-in advice:\n%s", got)
	}
}
