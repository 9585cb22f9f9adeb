package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
)

// JSON writes the model as indented JSON (?format=json).
func JSON(w io.Writer, m Model) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	if err := e.Encode(m); err != nil {
		return fmt.Errorf("report: write JSON: %w", err)
	}
	return nil
}

// CSV writes one row per affected person, every person of every cause in
// the page's order (?format=csv). Cells a spreadsheet would run as a
// formula are defused (see SafeCell).
func CSV(w io.Writer, m Model) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"kind", "severity", "userPrincipalName", "mail", "emailClaim", "remedy"})
	for _, c := range m.Causes {
		for _, p := range c.People {
			remedy := p.Remedy
			if remedy == "" {
				remedy = c.Remedy
			}
			_ = cw.Write([]string{SafeCell(string(c.Kind)), SafeCell(string(p.Severity)), SafeCell(p.UPN), SafeCell(p.Mail), SafeCell(p.EmailClaim), SafeCell(remedy)})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write CSV: %w", err)
	}
	return nil
}

// SafeCell defuses a value a spreadsheet would run as a formula (CSV
// injection): one starting with = + - @, a tab or a carriage return gets a
// leading quote.
func SafeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
