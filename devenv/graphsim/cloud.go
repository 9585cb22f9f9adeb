package graphsim

import (
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// SetCloud makes the tenant one of the named cloud (domain.CloudPublic,
// domain.CloudUSGovernment, domain.CloudChina): instantiate then accepts
// only that cloud's non-gallery template id and answers 404 for the
// others', as each cloud has its own
// (learn.microsoft.com/graph/api/applicationtemplate-instantiate). An
// unknown name or "" accepts every cloud's template.
func (t *Tenant) SetCloud(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cloud = name
}

// templateAccepted reports whether instantiate knows template id.
func (t *Tenant) templateAccepted(id string) bool {
	t.mu.Lock()
	cloud := t.cloud
	t.mu.Unlock()
	for _, c := range domain.Clouds() {
		if strings.EqualFold(c.TemplateID, id) && (cloud == "" || strings.EqualFold(cloud, c.Name) || !known(cloud)) {
			return true
		}
	}
	return false
}

func known(name string) bool { _, ok := domain.LookupCloud(name); return ok }
