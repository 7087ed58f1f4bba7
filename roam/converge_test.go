package roam

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// lossyNet carries datagrams one way; the property test decides what
// happens to each (deliver in any order, drop, duplicate).
type lossyNet struct{ inflight [][]byte }

// world is a client and a server over two lossy directions, with the
// applications on top: the client types into its log, the server consumes
// the log through RemoteDiff and publishes a value.
type world struct {
	p        *pair
	up, down lossyNet
	typed    []byte // everything the client application typed
	consumed []byte // what the server application received
}

func (w *world) tick(t *rapid.T) {
	dgs, err := w.p.client.Tick(w.p.now)
	if err != nil {
		t.Fatal(err)
	}
	w.up.inflight = append(w.up.inflight, dgs...)
	dgs, err = w.p.server.Tick(w.p.now)
	if err != nil {
		t.Fatal(err)
	}
	w.down.inflight = append(w.down.inflight, dgs...)
}

func (w *world) deliverUp(t *rapid.T, i int) {
	dg := w.up.inflight[i]
	info, err := w.p.server.Recv(dg, w.p.now, false)
	if err != nil && !isQuietDrop(err) {
		t.Fatalf("server rejected a datagram of the client: %v", err)
	}
	if info.NewState {
		w.consumed = append(w.consumed, w.p.server.RemoteDiff()...)
		if !bytes.HasPrefix(w.typed, w.consumed) {
			t.Fatalf("server received %q, not a prefix of what was typed, %q", w.consumed, w.typed)
		}
	}
}

func (w *world) deliverDown(t *rapid.T, i int) {
	if _, err := w.p.client.Recv(w.down.inflight[i], w.p.now, false); err != nil && !isQuietDrop(err) {
		t.Fatalf("client rejected a datagram of the server: %v", err)
	}
}

func isQuietDrop(err error) bool { return err != nil && errorsIs(err, ErrReplayed) }

func remove(s [][]byte, i int) [][]byte { return append(s[:i], s[i+1:]...) }

// TestConvergenceOverLossyWire: whatever the applications do and whatever
// the network does to datagrams (loss, duplication, reordering, delay), once
// the network delivers again both sides converge: the server application has
// received exactly what the client typed, and the client's replica equals the
// server's state.
func TestConvergenceOverLossyWire(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := &world{p: newPair(t, Config{})}
		rt.Repeat(map[string]func(*rapid.T){
			"type": func(rt *rapid.T) {
				s := rapid.StringMatching(`[a-z]{1,5}`).Draw(rt, "keys")
				w.p.client.Current().push(s)
				w.typed = append(w.typed, s...)
			},
			"screen": func(rt *rapid.T) {
				w.p.server.Current().v = []byte(rapid.StringMatching(`[A-Z]{0,8}`).Draw(rt, "screen"))
			},
			"time": func(rt *rapid.T) {
				w.p.advance(time.Duration(rapid.IntRange(0, 1500).Draw(rt, "ms")) * time.Millisecond)
			},
			"tick": func(rt *rapid.T) { w.tick(rt) },
			"deliverUp": func(rt *rapid.T) {
				if n := len(w.up.inflight); n > 0 {
					i := rapid.IntRange(0, n-1).Draw(rt, "i")
					w.deliverUp(rt, i)
					w.up.inflight = remove(w.up.inflight, i)
				}
			},
			"deliverDown": func(rt *rapid.T) {
				if n := len(w.down.inflight); n > 0 {
					i := rapid.IntRange(0, n-1).Draw(rt, "i")
					w.deliverDown(rt, i)
					w.down.inflight = remove(w.down.inflight, i)
				}
			},
			"duplicate": func(rt *rapid.T) {
				if n := len(w.up.inflight); n > 0 {
					w.deliverUp(rt, rapid.IntRange(0, n-1).Draw(rt, "i"))
				}
				if n := len(w.down.inflight); n > 0 {
					w.deliverDown(rt, rapid.IntRange(0, n-1).Draw(rt, "j"))
				}
			},
			"drop": func(rt *rapid.T) {
				if n := len(w.up.inflight); n > 0 && rapid.Bool().Draw(rt, "up") {
					w.up.inflight = remove(w.up.inflight, rapid.IntRange(0, n-1).Draw(rt, "i"))
				} else if n := len(w.down.inflight); n > 0 {
					w.down.inflight = remove(w.down.inflight, rapid.IntRange(0, n-1).Draw(rt, "j"))
				}
			},
		})

		// The network heals: lost datagrams stay lost, everything from now
		// on arrives after 10 ms, and the transports run on their timers.
		w.up.inflight, w.down.inflight = nil, nil
		deadline := w.p.now.Add(90 * time.Second)
		for w.p.now.Before(deadline) {
			if bytes.Equal(w.consumed, w.typed) && w.p.client.Remote().Equal(w.p.server.Current()) {
				return
			}
			w.tick(rt)
			w.p.advance(10 * time.Millisecond)
			for i := range w.up.inflight {
				w.deliverUp(rt, i)
			}
			for i := range w.down.inflight {
				w.deliverDown(rt, i)
			}
			w.up.inflight, w.down.inflight = nil, nil
			next := Earliest(w.p.client.NextWake(w.p.now), w.p.server.NextWake(w.p.now))
			if next.After(w.p.now) {
				w.p.now = next
			}
		}
		rt.Fatalf("no convergence after healing: typed %q, server got %q; server screen %q, client replica %q",
			w.typed, w.consumed, w.p.server.Current().v, w.p.client.Remote().v)
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
