package roam

// RemoteStatesHeld is how many remote states the receiver keeps for the
// peer to diff against: at most the queue limit (1024) plus one, and one
// more per quench period (15 s) while the queue stays full, as in mosh.
// For tests and diagnostics of memory use.
func (t *Transport[L, R]) RemoteStatesHeld() int { return len(t.rcv.states) }
