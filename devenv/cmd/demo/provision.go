package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

func init() { registerStep("provision", demoProvision) }

// provisionAnswer is the part of POST /api/provision's answer the demo shows.
type provisionAnswer struct {
	Status string `json:"status"`
	Steps  []struct {
		Step   string `json:"step"`
		Target string `json:"target"`
		Before string `json:"before"`
		After  string `json:"after"`
	} `json:"steps"`
	App *struct {
		AppID string `json:"appId"`
	} `json:"app"`
	FederationMetadataURL string `json:"federationMetadataUrl"`
	NextStep              string `json:"nextStep"`
	OperatorSteps         []struct {
		Step string `json:"step"`
	} `json:"operatorSteps"`
}

// demoProvision plans, applies and plans again: the second plan is empty.
func demoProvision(d *demo) error {
	post := func(label, body string, want int) (*provisionAnswer, error) {
		title(d.out, label)
		st, b, err := d.call(http.MethodPost, "/api/provision", []byte(body), nil)
		if err != nil {
			return nil, err
		}
		if st != want {
			return nil, fmt.Errorf("POST /api/provision %s: got %d, want %d: %s", body, st, want, b)
		}
		var a provisionAnswer
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("POST /api/provision answered non-JSON: %w", err)
		}
		fmt.Fprintf(d.out, "%d %s, %d step(s)\n", st, a.Status, len(a.Steps))
		for i, s := range a.Steps {
			fmt.Fprintf(d.out, "  %d. %-21s %-17s %s → %s\n", i+1, s.Step, s.Target, s.Before, s.After)
		}
		if a.FederationMetadataURL != "" {
			fmt.Fprintf(d.out, "metadata: %s\n", a.FederationMetadataURL)
		}
		fmt.Fprintf(d.out, "next: %s\n", a.NextStep)
		return &a, nil
	}
	plan, err := post("POST /api/provision {\"dryRun\":true} (plan on an empty tenant)", `{"dryRun":true,"displayName":"acme-saml@aircall"}`, http.StatusOK)
	if err != nil {
		return err
	}
	if len(plan.Steps) == 0 || plan.Steps[0].Step != "create-app" {
		return fmt.Errorf("the first plan should start with create-app")
	}
	applied, err := post("POST /api/provision {\"dryRun\":false} (apply)", `{"dryRun":false,"displayName":"acme-saml@aircall"}`, http.StatusCreated)
	if err != nil {
		return err
	}
	if applied.App == nil || !strings.Contains(applied.FederationMetadataURL, applied.App.AppID) {
		return fmt.Errorf("the apply answer lacks the app's ids or metadata URL")
	}
	if len(applied.OperatorSteps) == 0 {
		return fmt.Errorf("the HTTP provision (default permissions) should leave the claims policy and assignments to an operator")
	}
	title(d.out, "handler provision (an operator applies the steps the Function App's identity may not)")
	out, err := runOperator(d, "provision")
	fmt.Fprint(d.out, out)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "email-claim") || !strings.Contains(out, "assign") {
		return fmt.Errorf("the operator run did not apply the claims policy and assignments")
	}
	again, err := post("POST /api/provision {\"dryRun\":true} (plan again: nothing to do)", `{"dryRun":true}`, http.StatusOK)
	if err != nil {
		return err
	}
	if len(again.Steps) != 0 || again.Status != "up-to-date" {
		return fmt.Errorf("the second plan is not empty: %d step(s)", len(again.Steps))
	}
	return nil
}
