package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
)

func init() { registerStep("audit", demoAudit) }

// demoAudit audits the seeded tenant through POST /api/audit and prints the
// findings; a rerun shows that nothing is delivered twice.
func demoAudit(d *demo) error {
	type answer struct {
		RunID        string         `json:"runId"`
		Mode         string         `json:"mode"`
		Complete     bool           `json:"complete"`
		Pages        int            `json:"pages"`
		UsersScanned int64          `json:"usersScanned"`
		UsersPerSec  float64        `json:"usersPerSecond"`
		Counts       map[string]int `json:"counts"`
		Published    int            `json:"published"`
		Findings     []struct {
			Kind    string `json:"kind"`
			Subject string `json:"subject"`
			Summary string `json:"summary"`
		} `json:"findings"`
		Locations []string `json:"locations"`
	}
	run := func(label, body string) (*answer, error) {
		title(d.out, label)
		var a answer
		for {
			st, b, err := d.call(http.MethodPost, "/api/audit", []byte(body), nil)
			if err != nil {
				return nil, err
			}
			if st != http.StatusOK && st != http.StatusAccepted {
				return nil, fmt.Errorf("POST /api/audit: %d %s", st, b)
			}
			if err := json.Unmarshal(b, &a); err != nil {
				return nil, err
			}
			fmt.Fprintf(d.out, "%d run %s (%s): %d users in %d pages, %.0f users/s, %d event(s) published, complete=%v\n",
				st, a.RunID, a.Mode, a.UsersScanned, a.Pages, a.UsersPerSec, a.Published, a.Complete)
			if a.Complete {
				return &a, nil
			}
		}
	}
	first, err := run(fmt.Sprintf("POST /api/audit {\"full\":true} (%d simulated users)", demoUsers), `{"full":true}`)
	if err != nil {
		return err
	}
	kinds := make([]string, 0, len(first.Counts))
	for k := range first.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(d.out, "  %5d × %s\n", first.Counts[k], k)
	}
	for i, f := range first.Findings {
		if i == 5 {
			fmt.Fprintf(d.out, "  … (%d listed in the answer; the full report is in Blob)\n", len(first.Findings))
			break
		}
		fmt.Fprintf(d.out, "  %-22s %-44s %s\n", f.Kind, f.Subject, f.Summary)
	}
	for _, l := range first.Locations {
		fmt.Fprintf(d.out, "  report: %s\n", l)
	}
	_, err = run("POST /api/audit {} (rerun: only changes since the last run, nothing delivered twice)", `{}`)
	return err
}
