package config

import "strings"

// loadAircall reads the Aircall API credentials (docs/aircall.md): both or
// neither (then the Aircall checks are off), never an unresolved Key Vault
// reference, and https to Aircall once in Azure. Call it after loadCloud.
func (l *loader) loadAircall(c *Config) {
	id, idOK := l.secret("AIRCALL_API_ID")
	token, tokenOK := l.secret("AIRCALL_API_TOKEN")
	c.AircallAPIID, c.AircallAPIToken = id, token
	if c.InAzure && strings.HasPrefix(c.AircallBaseURL, "http://") {
		l.fail("AIRCALL_API_BASE_URL", "must be https in Azure (http is for the local simulator only)", c.AircallBaseURL)
	}
	if (id == "") != (token == "") && idOK && tokenOK {
		l.fail("AIRCALL_API_TOKEN", "AIRCALL_API_ID and AIRCALL_API_TOKEN go together: set both (the Aircall checks) or neither", "")
	}
}
