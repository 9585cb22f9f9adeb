package domain

// Rank orders severities from the most urgent, for sorting findings: error
// 0, warning 1, info (and anything unknown) 2.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}
