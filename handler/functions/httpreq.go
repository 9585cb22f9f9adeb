package functions

import (
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
)

// httpRequest returns the invocation's HTTP request after checking that the
// function was bound to an HTTP trigger (its function.json) and called with
// method (an empty method, from a host that does not pass it, is accepted).
// route names the endpoint for the caller, e.g. "/api/provision".
func httpRequest(inv *funchost.Invocation, function, method, route string) (*funchost.HTTPRequest, error) {
	req := inv.HTTP
	if req == nil {
		return nil, domain.Errorf(domain.EINVALID, "the %s function needs an HTTP trigger: check functions/%s/function.json", function, function)
	}
	if req.Method != "" && !strings.EqualFold(req.Method, method) {
		return nil, domain.Errorf(domain.EINVALID, "use %s %s, got %s", method, route, req.Method)
	}
	return req, nil
}
