package graphsim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// tokenRoutes: the App Service managed-identity token endpoint
// (not Graph: no faults, authentication or charge).
func tokenRoutes() []route {
	return []route{
		{method: "GET", pattern: "/msi/token", serve: (*Server).token,
			doc: "learn.microsoft.com/azure/app-service/overview-managed-identity"},
	}
}

// tokenKey signs the simulator's access tokens. It is the same in every
// simulator (and process) on purpose: MSAL caches managed-identity tokens
// process-wide, so a token one simulator issued must work on the next one a
// test starts. These tokens only ever reach a simulator.
var tokenKey = []byte("graphsim: not a secret, a test signing key")

// tokenLifetime is how long an issued token is valid.
const tokenLifetime = 24 * time.Hour

// graphResource is the resource the tokens are for.
const graphResource = "https://graph.microsoft.com"

// issueToken returns a JWT-shaped, HMAC-signed access token for resource.
func (s *Server) issueToken(resource string, exp time.Time) string {
	hdr := b64url([]byte(`{"typ":"JWT","alg":"HS256"}`))
	claims, _ := json.Marshal(map[string]any{
		"aud": resource, "iss": "https://sts.windows.net/" + s.t.id + "/", "tid": s.t.id,
		"appid": simAppID, "oid": simAppID, "exp": exp.Unix(), "iat": time.Now().Unix(),
		"roles": []string{"Application.ReadWrite.All", "User.Read.All", "GroupMember.Read.All", "Policy.ReadWrite.ApplicationConfiguration", "AppRoleAssignment.ReadWrite.All"},
	})
	body := hdr + "." + b64url(claims)
	mac := hmac.New(sha256.New, tokenKey)
	mac.Write([]byte(body))
	return body + "." + b64url(mac.Sum(nil))
}

// checkToken validates a bearer token the simulator issued.
func checkToken(tok string) *graphError {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errf(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).")
	}
	mac := hmac.New(sha256.New, tokenKey)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := unb64url(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature.")
	}
	raw, err := unb64url(parts[1])
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
	}
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return errf(401, "InvalidAuthenticationToken", "Access token validation failure.")
	}
	if strings.TrimRight(c.Aud, "/") != graphResource && c.Aud != "00000003-0000-0000-c000-000000000000" {
		return errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	}
	if time.Now().Unix() >= c.Exp {
		return errf(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	}
	return nil
}

// authorize checks the Authorization header of a Graph request.
func (s *Server) authorize(r *http.Request) *graphError {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	var e *graphError
	switch {
	case h == "":
		e = errf(401, "InvalidAuthenticationToken", "Access token is empty.")
	case !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "":
		e = errf(401, "InvalidAuthenticationToken", "Access token validation failure. Bearer token expected.")
	default:
		e = checkToken(strings.TrimSpace(tok))
	}
	if e != nil {
		e.header = map[string]string{"WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`}
	}
	return e
}

// token serves the App Service managed-identity protocol that azidentity's
// ManagedIdentityCredential speaks when IDENTITY_ENDPOINT and
// IDENTITY_HEADER are set: GET ?api-version=2019-08-01&resource=… with
// header X-IDENTITY-HEADER, answering {access_token, expires_on (epoch
// seconds as a string), resource, token_type, client_id}.
func (s *Server) token(w http.ResponseWriter, r *http.Request, _ params) {
	fail := func(status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": status, "message": msg, "correlationId": w.Header().Get("request-id")})
	}
	if r.Method != http.MethodGet {
		fail(http.StatusMethodNotAllowed, "Only GET is supported.")
		return
	}
	if r.Header.Get("X-IDENTITY-HEADER") != s.secret {
		fail(http.StatusUnauthorized, "The X-IDENTITY-HEADER header is missing or wrong.")
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") != "2019-08-01" {
		fail(http.StatusBadRequest, "api-version must be 2019-08-01.")
		return
	}
	resource := strings.TrimSuffix(q.Get("resource"), "/.default")
	if strings.TrimRight(resource, "/") != graphResource {
		fail(http.StatusBadRequest, fmt.Sprintf("The simulator only issues tokens for %s, not %q.", graphResource, resource))
		return
	}
	exp := time.Now().Add(tokenLifetime)
	clientID := q.Get("client_id")
	if clientID == "" {
		clientID = simAppID
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"access_token": s.issueToken(resource, exp), "expires_on": strconv.FormatInt(exp.Unix(), 10),
		"resource": resource, "token_type": "Bearer", "client_id": clientID,
	})
}

// Credential returns an azcore.TokenCredential that takes tokens straight
// from the simulator (no environment variables, no MSAL cache). Use it
// where the test is not about azidentity itself.
func (s *Server) Credential() azcore.TokenCredential { return simCredential{s} }

type simCredential struct{ s *Server }

func (c simCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	exp := time.Now().Add(tokenLifetime)
	return azcore.AccessToken{Token: c.s.issueToken(graphResource, exp), ExpiresOn: exp}, nil
}
