package graphsim

// TB is the part of testing.TB that Start uses (so this package does not
// import "testing" into the binaries that embed the simulator).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start starts a simulator for o on loopback for a test or benchmark,
// closes it when t ends, and returns it:
//
//	srv := graphsim.Start(t, graphsim.Options{Seed: 1, Users: 100})
//	client := graphrest.New(graphrest.Options{BaseURL: srv.URL(), Credential: srv.Credential()})
func Start(t TB, o Options) *Server {
	t.Helper()
	s := New(o)
	if err := s.Start(); err != nil {
		t.Fatalf("graphsim: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}
