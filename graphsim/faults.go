package graphsim

// faults injects 500/503/504 answers and dropped connections at a rate.
type faults struct{ rate float64 }

func newFaults(rate float64, seed uint64) *faults { return &faults{rate: rate} }

// inject decides the fate of one request: drop the connection, answer an
// error, or neither.
func (f *faults) inject() (drop bool, err *apiError) { return false, nil }
