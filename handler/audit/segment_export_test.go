package audit

// SetSegmentRecords makes seen-record segments hold n records, so tests
// with a few hundred findings exercise segments; it returns the undo.
func SetSegmentRecords(n int) (undo func()) {
	old := segmentRecords
	segmentRecords = n
	return func() { segmentRecords = old }
}
