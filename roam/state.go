package roam

// State is what a Transport synchronises to its peer, mirroring the contract
// of mosh's Transport<MyState, RemoteState> template (src/network/networktransport.h).
// S is the implementing type itself: type UserStream struct{...} implements
// State[*UserStream].
//
// Implementations are plain values with no I/O. The transport clones states it
// remembers, so a State must not share mutable memory with its clones.
type State[S any] interface {
	// Clone returns an independent copy.
	Clone() S
	// Equal reports whether the receiver and other hold the same content.
	Equal(other S) bool
	// DiffFrom returns the diff that turns other into the receiver
	// (mosh's diff_from). An empty diff means "no change".
	DiffFrom(other S) []byte
	// Apply applies a diff produced by DiffFrom (mosh's apply_string). A
	// diff from the network may be hostile: Apply returns an error, never
	// panics, and leaves the state unchanged on error. diff is only valid
	// during the call (the transport reuses its buffer): copy what is kept.
	Apply(diff []byte) error
	// Subtract removes from the receiver the prefix it shares with prefix
	// (mosh's subtract; only meaningful for the user stream, a no-op for
	// terminal states). prefix may be the receiver itself, which then
	// becomes empty: the transport subtracts the acknowledged state from
	// every state it holds, that one included, as mosh does.
	Subtract(prefix S)
	// Size estimates the bytes the state holds, counting memory it may
	// share with its clones as its own (an overestimate, which only makes
	// the receiver's bound stricter); 0 is no estimate. The receiver bounds
	// the bytes of the remote states it keeps by these estimates, on top of
	// mosh's bound on their number: a hostile peer can make each state cost
	// far more than its diff (a screen resize of a few bytes allocates
	// every cell anew). It is a method of every State rather than an
	// optional interface because the receiver asks at each state that
	// arrives, and a dynamic interface check is a probe of the runtime's
	// interface table, a few cache misses on each keystroke's path.
	Size() int
}
