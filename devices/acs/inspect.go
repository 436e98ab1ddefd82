package acs

// DeviceParams returns the keepalive and connection-request parameters,
// passwords included, that the running server handed device id. It is for
// a harness that runs the server in its own process and plays the network
// around a device under test (conformance/stb signs its own connection
// requests with them); the operator API never shows the passwords.
func (s *Server) DeviceParams(id string) (Params, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devs[id]
	if !ok {
		return Params{}, false
	}
	return d.Params, true
}
