package graphrest

import (
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// tokenGuard runs before the bearer-token policy on every try and refuses a
// request that would carry the Graph token anywhere but the client's own
// host, or in clear text to a host that is not loopback (docs/deploy.md,
// "Clouds": only real clouds get our token; http is for the local
// simulator). azcore's InsecureAllowCredentialWithHTTP is on for http base
// URLs, so this is what keeps a token off the wire in clear text.
type tokenGuard struct{ host string }

func (g tokenGuard) Do(req *policy.Request) (*http.Response, error) {
	u := req.Raw().URL
	if !strings.EqualFold(u.Host, g.host) {
		return nil, domain.Errorf(domain.EINVALID, "graph: refusing to send the Graph token to %s (only %s)", u.Host, g.host)
	}
	if u.Scheme != "https" && !loopback(u.Hostname()) {
		return nil, domain.Errorf(domain.EINVALID, "graph: refusing to send the Graph token over %s to %s (https only, http for a loopback host)", u.Scheme, u.Host)
	}
	return req.Next()
}

func loopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}
