package roam

import (
	"fmt"
	"time"
)

// receivedState is one numbered remote state (mosh's TimestampedState in
// Transport::received_states).
type receivedState[R any] struct {
	num   uint64
	at    time.Time // arrival
	state R
}

// receiver keeps the remote states the peer may still diff against (mosh's
// Transport::recv and get_remote_diff, src/network/networktransport-impl.h).
type receiver[R State[R]] struct {
	// states is never empty and sorted by num; the last is the newest.
	states      []receivedState[R]
	quenchUntil time.Time
	// consumed is the state the application last read a diff up to.
	consumed R
}

func newReceiver[R State[R]](initial R, now time.Time) *receiver[R] {
	return &receiver[R]{
		states:   []receivedState[R]{{num: 0, at: now, state: initial.Clone()}},
		consumed: initial.Clone(),
	}
}

func (r *receiver[R]) newest() *receivedState[R] { return &r.states[len(r.states)-1] }

func (r *receiver[R]) find(num uint64) int {
	for i := range r.states {
		if r.states[i].num == num {
			return i
		}
	}
	return -1
}

// candidate is a validated instruction: the new state is built but nothing
// in the receiver has changed yet.
type candidate[R any] struct {
	num       uint64
	throwaway uint64
	state     R
}

// errNothingNew is returned by prepare for an instruction that carries no new
// state: a duplicate, or one whose reference state is unknown (discarded or
// not yet received). Both are normal under loss and reordering.
type nothingNew struct{ reason string }

func (n nothingNew) Error() string { return "roam: " + n.reason }

// prepare checks an instruction and builds its state without changing the
// receiver. A nothingNew error means "ignore quietly"; other errors are
// protocol violations (a real mosh peer would abort on them).
func (r *receiver[R]) prepare(oldNum, newNum, throwaway uint64, diff []byte) (candidate[R], error) {
	if r.find(newNum) >= 0 {
		return candidate[R]{}, nothingNew{"duplicate state"}
	}
	ref := r.find(oldNum)
	if ref < 0 {
		return candidate[R]{}, nothingNew{"unknown reference state"}
	}
	// A throwaway_num above old_num would discard the very state the diff
	// applies to (mosh aborts or worse); a real sender never sends one.
	if throwaway > oldNum {
		return candidate[R]{}, fmt.Errorf("%w: throwaway_num %d above old_num %d", ErrProtocol, throwaway, oldNum)
	}
	st := r.states[ref].state.Clone()
	if len(diff) > 0 {
		if err := st.Apply(diff); err != nil {
			return candidate[R]{}, fmt.Errorf("%w: diff for state %d: %w", ErrProtocol, newNum, err)
		}
	}
	return candidate[R]{num: newNum, throwaway: throwaway, state: st}, nil
}

// commit discards the states below the throwaway number, applies the queue
// limit and inserts the candidate in num order. It reports whether the state
// was added and whether it is now the newest.
func (r *receiver[R]) commit(c candidate[R], now time.Time) (added, newest bool) {
	// throwaway ≤ old_num, and the reference is still held, so at least one
	// state survives.
	keep := 0
	for keep < len(r.states)-1 && r.states[keep].num < c.throwaway {
		keep++
	}
	if keep > 0 {
		clear(r.states[:keep])
		r.states = r.states[keep:]
	}

	// A full queue accepts one state per quench period, rather than
	// dropping states from the middle: an acked state must stay available.
	if len(r.states) > receivedStatesLimit {
		if now.Before(r.quenchUntil) {
			return false, false
		}
		r.quenchUntil = now.Add(receiverQuench)
	}

	rs := receivedState[R]{num: c.num, at: now, state: c.state}
	for i := range r.states {
		if r.states[i].num > c.num {
			r.states = append(r.states, receivedState[R]{})
			copy(r.states[i+1:], r.states[i:])
			r.states[i] = rs
			return true, false
		}
	}
	r.states = append(r.states, rs)
	return true, true
}

// remoteDiff returns the diff from the state the application last consumed
// to the newest, then removes the oldest state's prefix from every state
// (get_remote_diff). State.Subtract must accept its own receiver.
func (r *receiver[R]) remoteDiff() []byte {
	diff := r.newest().state.DiffFrom(r.consumed)
	oldest := r.states[0].state
	for i := len(r.states) - 1; i >= 0; i-- {
		r.states[i].state.Subtract(oldest)
	}
	r.consumed = r.newest().state.Clone()
	return diff
}
