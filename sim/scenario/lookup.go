package scenario

// Server returns the server called name, for role options that name one.
func (s *Scenario) Server(name string) (*Server, bool) {
	for i := range s.Topology.Servers {
		if s.Topology.Servers[i].Name == name {
			return &s.Topology.Servers[i], true
		}
	}
	return nil, false
}

// HasServer reports whether the scenario has a server called name.
func (s *Scenario) HasServer(name string) bool {
	_, ok := s.Server(name)
	return ok
}
