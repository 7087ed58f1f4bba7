package session

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// stockServerEvents rebuilds what a stock mosh-server's UserStream holds
// after applying diff to base: it appends keystrokes and resizes and
// skips every other instruction (src/statesync/user.cc apply_string).
func stockServerEvents(t interface{ Fatalf(string, ...any) }, base []userEvent, diff []byte) []userEvent {
	ins, err := wire.ParseUserMessage(diff)
	if err != nil {
		t.Fatalf("diff %x does not parse: %v", diff, err)
	}
	out := append([]userEvent(nil), base...)
	for _, in := range ins {
		switch in.Kind {
		case wire.UserKeystroke:
			for _, b := range in.Keys {
				out = append(out, userEvent{Byte: b})
			}
		case wire.UserResize:
			out = append(out, userEvent{Resize: true, Width: in.Width, Height: in.Height})
		}
	}
	return out
}

func sameEvents(a, b []userEvent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The offer rides the first diff in its own Instruction: a stock server
// rebuilds every state with exactly the client's events, whatever
// reference state the transport diffs against (docs/PROTOCOL.md, Robustness traps, 7:
// the states it holds stay prefixes of one another).
func TestOfferKeepsStockServerStatesCumulative(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		states := []*userStream{newUserStream()}
		for i := rapid.IntRange(1, 6).Draw(t, "states"); i > 0; i-- {
			next := states[len(states)-1].Clone()
			if len(states) == 1 {
				next.Offer(clientFeatures)
			}
			for _, ev := range genEvents(t, "ev").Events() {
				if ev.Resize {
					next.PushResize(int(ev.Width), int(ev.Height))
				} else {
					next.PushKeys([]byte{ev.Byte})
				}
			}
			states = append(states, next)
		}
		// The client's last state may carry its Detach: skipped as well.
		if rapid.Bool().Draw(t, "detach") {
			last := states[len(states)-1].Clone()
			last.Detach()
			states = append(states, last)
		}
		// Every (reference, newer) pair is a diff the sender may send.
		for i := range states {
			for j := i; j < len(states); j++ {
				diff := states[j].DiffFrom(states[i])
				got := stockServerEvents(t, states[i].Events(), diff)
				if !sameEvents(got, states[j].Events()) {
					t.Fatalf("state %d from %d: a stock server holds %v, the client %v", j, i, got, states[j].Events())
				}
				// Ours also learns the offer from any diff from state 0.
				var ours userStream
				ours.events = append(ours.events, states[i].Events()...)
				ours.features = states[i].Features()
				ours.detached = states[i].Detached()
				if err := ours.Apply(diff); err != nil || !ours.Equal(states[j]) {
					t.Fatalf("state %d from %d on our server: %+v, %v", j, i, ours, err)
				}
			}
		}
	})
}

func TestOfferDiffBytes(t *testing.T) {
	u := newUserStream()
	u.Offer(clientFeatures)
	u.PushResize(80, 24)
	got := u.DiffFrom(newUserStream())
	want := []byte{0x0a, 0x06, 0x82, 0x80, 0x02, 0x02, 0x08, 0x01, 0x0a, 0x06, 0x1a, 0x04, 0x28, 0x50, 0x30, 0x18}
	if !bytes.Equal(got, want) {
		t.Errorf("first diff = % x, want % x", got, want)
	}
	// Once the server has the offer, it is never sent again; an ack
	// (Subtract) keeps it in the states.
	acked := u.Clone()
	u.PushKeys([]byte("x"))
	u.Subtract(acked)
	acked.Subtract(acked)
	if d := u.DiffFrom(acked); !bytes.Equal(d, []byte{0x0a, 0x05, 0x12, 0x03, 0x22, 0x01, 'x'}) {
		t.Errorf("diff after the ack = % x", d)
	}
	if u.Features() != clientFeatures || acked.DiffFrom(acked) != nil {
		t.Errorf("features after Subtract %#x; self diff %x", u.Features(), acked.DiffFrom(acked))
	}
	// Without an offer, the bytes are mosh-client's.
	plain := newUserStream()
	plain.PushResize(80, 24)
	if d := plain.DiffFrom(newUserStream()); !bytes.Equal(d, want[8:]) {
		t.Errorf("diff without offer = % x", d)
	}
}

// The exit status is part of the complete state. The SSP laws hold with
// it: old + DiffFrom(old) reproduces the state, the same diff applied to
// the same reference (a duplicate datagram) gives the same state, and the
// status instruction itself is idempotent — applied twice on top of a
// state it changes nothing more. A state without a status never sends one.
func TestCompleteExitStatusLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		old := newComplete(20, 5)
		if rapid.Bool().Draw(t, "old exited") {
			old.SetExitStatus(wire.ExitStatus{Code: 1})
		}
		cur := old.Clone()
		cur.exit = exitState{}
		if rapid.Bool().Draw(t, "output") {
			emuWrite(cur, []byte("out\r\n"))
		}
		withExit := rapid.Bool().Draw(t, "exited")
		st := wire.ExitStatus{Code: rapid.Uint8().Draw(t, "code")}
		if rapid.Bool().Draw(t, "signalled") {
			st = wire.ExitStatus{Signal: rapid.Uint8Range(1, 127).Draw(t, "signal")}
		}
		if withExit {
			cur.SetExitStatus(st)
		}
		diff := cur.DiffFrom(old)
		ins, err := wire.ParseHostMessage(diff)
		if err != nil {
			t.Fatal(err)
		}
		sent := false
		for _, in := range ins {
			sent = sent || in.Kind == wire.HostExitStatus
		}
		if sent != (withExit && cur.exit != old.exit) {
			t.Fatalf("exit status sent: %v, set: %v (old %+v)", sent, withExit, old.exit)
		}
		if !withExit {
			// A status once sent is never taken back by a later diff
			// (the server never clears it); nothing to check further.
			return
		}
		once, dup := old.Clone(), old.Clone()
		if err := once.Apply(diff); err != nil {
			t.Fatal(err)
		}
		if err := dup.Apply(diff); err != nil {
			t.Fatal(err)
		}
		if !once.Equal(cur) || !dup.Equal(once) {
			t.Fatalf("old+diff equals the state: %v; a duplicate equals it: %v", once.Equal(cur), dup.Equal(once))
		}
		// The status-only diff, applied twice.
		noStatus := cur.Clone()
		noStatus.exit = exitState{}
		only := cur.DiffFrom(noStatus)
		twice := noStatus.Clone()
		for range 2 {
			if err := twice.Apply(only); err != nil {
				t.Fatal(err)
			}
		}
		if !twice.Equal(cur) {
			t.Fatalf("status diff %x applied twice: %+v, want %+v", only, twice.exit, cur.exit)
		}
		if got, ok := twice.ExitStatus(); !ok || got != st {
			t.Fatalf("replica status %+v %v, want %+v", got, ok, st)
		}
		if d := cur.DiffFrom(once); d != nil {
			t.Fatalf("diff to an equal state: %x", d)
		}
	})
}

func emuWrite(c *complete, b []byte) {
	_, _ = term.NewEmulatorFor(c.Framebuffer()).Write(b)
}

func TestSSHExitCode(t *testing.T) {
	for _, c := range []struct {
		st   wire.ExitStatus
		want int
	}{
		{wire.ExitStatus{}, 0},
		{wire.ExitStatus{Code: 3}, 3},
		{wire.ExitStatus{Code: 143}, 143}, // a shell's report of a child killed by SIGTERM
		{wire.ExitStatus{Signal: 15}, 255},
		{wire.ExitStatus{Signal: 9}, 255},
	} {
		if got := SSHExitCode(c.st); got != c.want {
			t.Errorf("SSHExitCode(%v) = %d, want %d", c.st, got, c.want)
		}
	}
}

// serveOnce runs Serve with argv over an in-memory datagram pair and a
// client transport that offers features (0: none, as mosh-client), until
// the server's shutdown reached the client. It returns the client's
// replica of the last state.
func serveOnce(t *testing.T, features uint64, argv ...string) *complete {
	t.Helper()
	last, _ := serveHistory(t, features, argv...)
	return last
}

// Our server sends the program's exit status to a client that offered the
// extension, in the state its shutdown carries, together with the last
// screen.
func TestServerSendsExitStatus(t *testing.T) {
	for _, c := range []struct {
		name string
		argv []string
		want wire.ExitStatus
	}{
		{"exit 3", []string{"sh", "-c", "echo visible-output; exit 3"}, wire.ExitStatus{Code: 3}},
		{"exit 0", []string{"sh", "-c", "echo visible-output"}, wire.ExitStatus{}},
		{"SIGTERM", []string{"sh", "-c", "echo visible-output; kill -TERM $$"}, wire.ExitStatus{Signal: 15}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			last := serveOnce(t, wire.FeatureExitStatus, c.argv...)
			got, ok := last.ExitStatus()
			if !ok || got != c.want {
				t.Errorf("client got exit status %v (%v), want %v", got, ok, c.want)
			}
			if row := rowText(last, 0); row != "visible-output" {
				t.Errorf("last screen's first row %q", row)
			}
		})
	}
}

// A client that offers nothing — every stock mosh-client — never receives
// the field: its replica would have recorded it.
func TestServerSendsNoExitStatusUnasked(t *testing.T) {
	last := serveOnce(t, 0, "sh", "-c", "echo visible-output; exit 3")
	if st, ok := last.ExitStatus(); ok {
		t.Errorf("a client that did not offer the extension received %v", st)
	}
	if row := rowText(last, 0); row != "visible-output" {
		t.Errorf("last screen's first row %q", row)
	}
}

func rowText(c *complete, r int) string {
	var b []byte
	for _, cell := range c.Framebuffer().Row(r).Cells() {
		b = cell.AppendGrapheme(b)
	}
	return string(bytes.TrimRight(b, " "))
}
