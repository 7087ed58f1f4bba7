package session

import "time"

// echoTimeout is how long the server waits after giving a client state's
// input to the application before acknowledging its echo: by then any echo
// is in the screen state (mosh's ECHO_TIMEOUT, src/statesync/completeterminal.h).
const echoTimeout = 50 * time.Millisecond

// echoTracker computes the echo acknowledgement the server sends, as mosh's
// Complete::register_input_frame / set_echo_ack / wait_time: the newest
// client state whose input was given to the application more than
// echoTimeout ago. Real mosh-clients use it to confirm or expire their
// predictions, so it must be monotone (a decrease aborts them).
type echoTracker struct {
	history []inputFrame
	ack     uint64
}

type inputFrame struct {
	num uint64
	at  time.Time
}

// register records that client state num, carrying user input, reached the
// application at now.
func (e *echoTracker) register(num uint64, now time.Time) {
	e.history = append(e.history, inputFrame{num, now})
}

// update recomputes the ack at now and reports whether it changed.
func (e *echoTracker) update(now time.Time) bool {
	newest := uint64(0)
	for _, f := range e.history {
		if f.at.Before(now.Add(-echoTimeout)) {
			newest = f.num
		}
	}
	kept := e.history[:0]
	for _, f := range e.history {
		if f.num >= newest {
			kept = append(kept, f)
		}
	}
	e.history = kept
	// Client state numbers only grow, but a reordering could register a
	// lower one after a higher: never let the ack go backwards.
	if newest <= e.ack {
		return false
	}
	e.ack = newest
	return true
}

// next returns when update may next change the ack (zero: no pending input).
func (e *echoTracker) next() time.Time {
	for _, f := range e.history {
		if f.num > e.ack {
			return f.at.Add(echoTimeout + time.Millisecond)
		}
	}
	return time.Time{}
}
