package live

// Progress receives the read's progress. Methods may be called from
// several goroutines at once; implementations serialise their output.
type Progress interface {
	// KindStarted: the read of a kind begins.
	KindStarted(kind string)
	// KindDone: a kind was read, with the objects found and the requests
	// sent; err is a *KindError when the kind is incomplete.
	KindDone(kind string, objects, requests int, err error)
}

// NoProgress discards progress.
type NoProgress struct{}

func (NoProgress) KindStarted(string)               {}
func (NoProgress) KindDone(string, int, int, error) {}
