package graphsim

import (
	"sort"
	"sync"
)

// EndpointStats counts what one endpoint (method and path template) cost.
type EndpointStats struct {
	Method        string `json:"method"`
	Path          string `json:"path"`
	Requests      int    `json:"requests"`
	ResourceUnits int    `json:"resourceUnits"`
	Throttled     int    `json:"throttled"`
	Faults        int    `json:"faults"`
	Errors        int    `json:"errors"` // 4xx/5xx answers other than 429 and injected faults
}

// Stats is what /_graphsim/stats reports: totals and per endpoint.
type Stats struct {
	Requests      int             `json:"requests"`
	ResourceUnits int             `json:"resourceUnits"`
	Throttled     int             `json:"throttled"`
	Faults        int             `json:"faults"`
	Errors        int             `json:"errors"`
	Endpoints     []EndpointStats `json:"endpoints"`
}

type stats struct {
	mu sync.Mutex
	by map[string]*EndpointStats
}

func newStats() *stats { return &stats{by: map[string]*EndpointStats{}} }

func (s *stats) get(method, tmpl string) *EndpointStats {
	k := method + " " + tmpl
	e := s.by[k]
	if e == nil {
		e = &EndpointStats{Method: method, Path: tmpl}
		s.by[k] = e
	}
	return e
}

func (s *stats) record(method, tmpl string, status, ru int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.get(method, tmpl)
	e.Requests++
	e.ResourceUnits += ru
	switch {
	case status == 429:
		e.Throttled++
	case status >= 400:
		e.Errors++
	}
}

func (s *stats) fault(method, tmpl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.get(method, tmpl)
	e.Requests++
	e.Faults++
}

// lostAnswer counts a fault on a request that was carried out (and counted).
func (s *stats) lostAnswer(method, tmpl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.get(method, tmpl).Faults++
}

func (s *stats) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Endpoints: []EndpointStats{}} // [] rather than null in JSON
	for _, e := range s.by {
		out.Endpoints = append(out.Endpoints, *e)
		out.Requests += e.Requests
		out.ResourceUnits += e.ResourceUnits
		out.Throttled += e.Throttled
		out.Faults += e.Faults
		out.Errors += e.Errors
	}
	sort.Slice(out.Endpoints, func(i, j int) bool {
		a, b := out.Endpoints[i], out.Endpoints[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return out
}

func (s *stats) reset() {
	s.mu.Lock()
	s.by = map[string]*EndpointStats{}
	s.mu.Unlock()
}

// Stats returns the counters since start or the last reset.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.reset() }
