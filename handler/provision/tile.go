package provision

import (
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// HideAppTag is the service principal tag that hides an app from My Apps
// and the Microsoft 365 launcher ("Hide an Enterprise application",
// learn.microsoft.com/entra/identity/enterprise-apps/hide-application-from-user-portal).
const HideAppTag = "HideApp"

// tileStep plans the My Apps tile: hidden (HideApp) unless a sign-on URL
// is configured, in which case the tile opens it (an SP-initiated sign-in;
// Aircall refuses IdP-initiated ones, docs/aircall.md).
func tileStep(d Desired, app *domain.App) (Step, bool) {
	hidden := hasFold(app.ServicePrincipalTags, HideAppTag)
	if d.SignOnURL == "" {
		if hidden {
			return Step{}, false
		}
		return Step{Kind: StepMyAppsTile, Target: "servicePrincipal", Setting: "tags " + HideAppTag,
			Before: "tile shown (IdP-initiated sign-in, which Aircall refuses)", After: "tile hidden"}, true
	}
	if !hidden && app.LoginURL == d.SignOnURL {
		return Step{}, false
	}
	return Step{Kind: StepMyAppsTile, Target: "servicePrincipal", Setting: "loginUrl",
		Before: orNone(app.LoginURL), After: d.SignOnURL + " (tile starts Aircall's SP-initiated sign-in)"}, true
}

func hasFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
