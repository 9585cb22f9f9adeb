package aircallsim

import "time"

// The documentation pages the rules follow.
const (
	pageAPIRef     = "Aircall API references — https://developer.aircall.io/api-references/"
	pageBasicAuth  = pageAPIRef + "#basic-auth-aircall-customers"
	pageRateLimit  = pageAPIRef + "#rate-limiting"
	pagePagination = pageAPIRef + "#pagination"
	pageListUsers  = pageAPIRef + "#list-all-users"
	pageUserV2     = pageAPIRef + "#user-v2-overview"
	pageHelpPaging = "Aircall help center, pagination and the 10,000 records limit — https://support.aircall.io/en-gb/articles/34702023578397"
)

// Values the rules name.
const (
	// DefaultPerPage and MaxPerPage bound per_page.
	DefaultPerPage = 20
	MaxPerPage     = 50
	// RecordCap is the most records one list query reaches through paging.
	RecordCap = 10000
	// DefaultLimit is the documented request budget per minute per company.
	DefaultLimit = 120
)

// DefaultWindow is the period DefaultLimit is counted over.
const DefaultWindow = time.Minute

// Rule is one behaviour of the simulator and the documentation it follows.
type Rule struct {
	// Name is a short handle, used in tests and docs/aircall.md.
	Name string
	// Behaviour says what the simulator does.
	Behaviour string
	// Source names the documentation page (title and URL) it follows, and
	// says so when the page is silent and the behaviour is a choice.
	Source string
}

// Rules returns the simulator's behaviour, one row per rule.
func Rules() []Rule {
	return []Rule{
		{"basic-auth", "every path under /v1 and /v2 needs HTTP Basic auth with the API ID as user name and the API token as password; otherwise 401 {\"error\",\"troubleshoot\"}",
			pageBasicAuth},
		{"https-only", "the simulator serves plain http on loopback only; the real API answers only HTTPS (the adapter refuses http for any other host)",
			pageAPIRef + " (\"only HTTPS requests are valid\")"},
		{"ping", "GET /v1/ping answers 200 {\"ping\":\"pong\"} to valid credentials",
			pageAPIRef + "#ping"},
		{"error-shape", "errors answer {\"error\": title, \"troubleshoot\": verbose message}",
			pageAPIRef + "#errors"},
		{"users-list", "GET /v1/users and GET /v2/users answer {\"users\":[{id,direct_link,name,email,created_at,available,availability_status,time_zone,language}], \"meta\":{…}}",
			pageListUsers + " and " + pageUserV2 + " (v2 envelope as read by third-party clients: unverified on Aircall's page)"},
		{"user-get", "GET /v1/users/{id} and GET /v2/users/{id or email} answer {\"user\":{…}} or 404; the email is compared without regard to letter case",
			pageUserV2 + " (lookup by email and its case rule: unverified, a choice)"},
		{"per-page", "per_page defaults to 20; a value over 50 is served as 50; a value under 1 or not a number gets the default",
			pageHelpPaging + " (\"default: 20, maximum: 50\"; what happens over 50 is not documented: clamping is a choice)"},
		{"page", "page counts from 1 (default 1); a value under 1 or not a number gets 1",
			pagePagination},
		{"meta", "meta carries count, total (every record matching the query, even past the cap), current_page, per_page, next_page_link and previous_page_link (absolute URLs on the host asked, null at the ends)",
			pagePagination + " and " + pageHelpPaging},
		{"record-cap", "a query reaches its first 10,000 records only: the last page inside the cap has next_page_link null, and a page starting past it answers 400 with a troubleshoot text",
			pageHelpPaging + " (\"Pages beyond this range are not accessible\"; the status is not documented: 400 is a choice)"},
		{"created-filters", "from and to (UNIX seconds) bound created_at, both inclusive; order=asc (default) or desc sorts on created_at then id",
			pageListUsers + " and " + pageHelpPaging + " (inclusiveness is not documented: a choice)"},
		{"leaky-bucket", "one bucket per company (per simulator) of capacity Limit drains Limit requests per Window (default 120 per minute); a request that would overflow it answers 429",
			pageRateLimit + " (120 requests per minute per company; the leaky-bucket algorithm is named by integrators, the capacity is a choice)"},
		{"rate-headers", "a 429 carries X-AircallApi-Limit (Limit), X-AircallApi-Remaining (0) and X-AircallApi-Reset (UNIX seconds when a request fits again); successful answers carry none",
			pageRateLimit + " (\"available … when the rate limit has been reached\")"},
		{"faults", "on demand (FaultSpec, FailNext): 429 with the rate headers, 503, or a connection reset after the start of a 200 answer, drawn from a seed",
			"not from Aircall's documentation: transient failures every HTTP client must survive"},
		{"unknown-path", "any other path answers 404 {\"error\":\"Not found\"}",
			pageAPIRef + "#errors"},
	}
}
