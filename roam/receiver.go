package roam

import (
	"fmt"
	"slices"
	"time"
)

// receivedState is one numbered remote state (mosh's TimestampedState in
// Transport::received_states).
type receivedState[R any] struct {
	num   uint64
	at    time.Time // arrival
	state R
	size  int // Size estimate when it arrived
}

// receiver keeps the remote states the peer may still diff against (mosh's
// Transport::recv and get_remote_diff, src/network/networktransport-impl.h).
type receiver[R State[R]] struct {
	// states is never empty and sorted by num; the last is the newest.
	states      []receivedState[R]
	quenchUntil time.Time
	// bytes is the sum of the states' sizes, kept at most budget (but
	// the oldest and the newest state stay whatever their size).
	bytes, budget int
	// consumed is the state the application last read a diff up to.
	consumed R
}

func newReceiver[R State[R]](initial R, now time.Time) *receiver[R] {
	st := initial.Clone()
	size := st.Size()
	return &receiver[R]{
		states:   []receivedState[R]{{num: 0, at: now, state: st, size: size}},
		consumed: initial.Clone(),
		bytes:    size,
		budget:   receivedStatesBytes,
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
		for _, st := range r.states[:keep] {
			r.bytes -= st.size
		}
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

	rs := receivedState[R]{num: c.num, at: now, state: c.state, size: c.state.Size()}
	r.bytes += rs.size
	defer r.trim()
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

// trim drops states until their bytes fit the budget, oldest first, but
// never the oldest nor the newest state, so that the acks stay true and
// the session cannot stall:
//   - the newest is the state we acknowledge (ack_num), and a sender that
//     learns of the ack diffs from it or from newer states;
//   - the oldest is the one at the sender's throwaway_num, the front of
//     its sent states: the reference it falls back to when everything it
//     sent later has timed out unacknowledged (mosh's
//     update_assumed_receiver_state), e.g. while our acks are lost or the
//     state we acknowledged was culled from its list.
//
// A diff from a dropped state is ignored as one from an unknown state
// (mosh does the same with states it never got); the sender's next
// reference is one we kept. The states in between are only references the
// sender assumes we have because it sent them recently, and the older of
// them are the least likely to be used.
func (r *receiver[R]) trim() {
	for r.bytes > r.budget && len(r.states) > 2 {
		r.bytes -= r.states[1].size
		r.states = slices.Delete(r.states, 1, 2) // zeroes the freed slot
	}
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
