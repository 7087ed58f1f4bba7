package session

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// userEvent is one event of the client's input stream: a keystroke byte or a
// window resize.
type userEvent struct {
	Resize bool
	Byte   byte
	Width  int32
	Height int32
}

// userStream is the client→server state: the append-only log of user events
// not yet known to be acknowledged (mosh's UserStream, src/statesync/user.cc).
//
// States sent to a real mosh-server must be cumulative (docs/PROTOCOL.md, Robustness traps,
// 7): every state's events start with the events of every earlier state. The
// log is only appended to; Subtract removes an acknowledged prefix from all
// states alike, which keeps that relation.
//
// Beside the events, a stream carries the set of protocol extensions the
// client offers (docs/PROTOCOL-EXTENSIONS.md). It only grows, and a diff
// carries it while the reference state lacks some of it; a stock
// mosh-server skips it without adding an event, so its own states stay
// cumulative. So does the client's word that it is leaving (detached, set
// once, never cleared), which follows the events in a diff.
type userStream struct {
	events   []userEvent
	features uint64
	detached bool
}

var _ roam.State[*userStream] = (*userStream)(nil)

// newUserStream returns an empty stream (state 0 of the protocol).
func newUserStream() *userStream { return &userStream{} }

// PushKeys appends keystroke bytes.
func (u *userStream) PushKeys(b []byte) {
	for _, c := range b {
		u.events = append(u.events, userEvent{Byte: c})
	}
}

// PushResize appends a window size change. Sizes outside 1..wire.MaxTermDim
// are clamped: a zero width aborts a real mosh-server (docs/PROTOCOL.md, Robustness traps, 6).
func (u *userStream) PushResize(width, height int) {
	u.events = append(u.events, userEvent{Resize: true, Width: clampDim(width), Height: clampDim(height)})
}

func clampDim(n int) int32 {
	if n < 1 {
		return 1
	}
	if n > wire.MaxTermDim {
		return wire.MaxTermDim
	}
	return int32(n)
}

// Detach marks the client as leaving with the session left running on the
// server (wire.UserDetach): sent only to our mosh-server, which then counts
// the session as detached at once.
func (u *userStream) Detach() { u.detached = true }

// Detached reports whether the client said it is leaving.
func (u *userStream) Detached() bool { return u.detached }

// Offer adds protocol extensions (wire.Feature* bits) to those the stream
// offers the server.
func (u *userStream) Offer(features uint64) { u.features |= features }

// Features is the set of extensions offered (by a diff, on the server).
func (u *userStream) Features() uint64 { return u.features }

// Events returns the events in order; callers must not modify them.
func (u *userStream) Events() []userEvent { return u.events }

// Len is the number of events.
func (u *userStream) Len() int { return len(u.events) }

// Size implements roam.State: the bytes of the events, shared with the
// stream's clones or not, so that the server's receiver bounds what a
// client's diffs make it keep, as the client's does for screens.
func (u *userStream) Size() int { return len(u.events) * int(unsafe.Sizeof(userEvent{})) }

// Clone implements roam.State. The clone shares the log's storage, capped
// at its length: the log only grows by appending and Subtract copies, so no
// event is ever rewritten in place, and an append to the clone (the
// receiver applies a diff to a clone of its base) reallocates instead of
// writing where the original appends next. A key's state is cloned six
// times between the two ends (sent, received, acknowledged); each copy was
// an allocation and a copy of the log on the keystroke's way.
func (u *userStream) Clone() *userStream {
	n := len(u.events)
	return &userStream{events: u.events[:n:n], features: u.features, detached: u.detached}
}

// Equal implements roam.State.
func (u *userStream) Equal(o *userStream) bool {
	if len(u.events) != len(o.events) || u.features != o.features || u.detached != o.detached {
		return false
	}
	for i := range u.events {
		if u.events[i] != o.events[i] {
			return false
		}
	}
	return true
}

// DiffFrom implements roam.State: the events after those of existing, which
// must be a prefix of u (the transport only diffs against earlier states of
// the same log). Consecutive keystrokes become one Keystroke instruction,
// each resize its own, as mosh does.
func (u *userStream) DiffFrom(existing *userStream) []byte {
	n := len(existing.events)
	if n > len(u.events) {
		// Not a prefix: cannot happen with an append-only log. Sending the
		// whole log would break cumulativeness; send nothing instead.
		return nil
	}
	rest := u.events[n:]
	// The instructions are built on the stack (a keystroke's diff is one
	// of a few bytes) and their keys in one buffer of the right size.
	var insBuf [4]wire.UserInstruction
	nkeys := 0
	for _, ev := range rest {
		if !ev.Resize {
			nkeys++
		}
	}
	ins, keys := insBuf[:0], make([]byte, 0, nkeys)
	if u.features&^existing.features != 0 {
		// In its own Instruction, so a stock server sees nothing it knows.
		ins = append(ins, wire.UserInstruction{Kind: wire.UserExtensionOffer, Features: u.features})
	}
	runStart := 0 // where the keys of the last keystroke instruction start
	for _, ev := range rest {
		if ev.Resize {
			ins = append(ins, wire.UserInstruction{Kind: wire.UserResize, Width: ev.Width, Height: ev.Height})
			continue
		}
		if k := len(ins); k == 0 || ins[k-1].Kind != wire.UserKeystroke {
			ins = append(ins, wire.UserInstruction{Kind: wire.UserKeystroke})
			runStart = len(keys)
		}
		keys = append(keys, ev.Byte) // within its capacity: no run moves
		ins[len(ins)-1].Keys = keys[runStart:]
	}
	if u.detached && !existing.detached {
		ins = append(ins, wire.UserInstruction{Kind: wire.UserDetach})
	}
	if len(ins) == 0 {
		return nil
	}
	return wire.AppendUserMessage(nil, ins)
}

// Apply implements roam.State: append the events of a diff.
func (u *userStream) Apply(diff []byte) error {
	if len(diff) == 0 {
		return nil
	}
	ins, err := wire.ParseUserMessage(diff)
	if err != nil {
		return fmt.Errorf("session: user stream diff: %w", err)
	}
	for _, in := range ins {
		switch in.Kind {
		case wire.UserKeystroke:
			u.PushKeys(in.Keys)
		case wire.UserResize:
			u.events = append(u.events, userEvent{Resize: true, Width: in.Width, Height: in.Height})
		case wire.UserExtensionOffer:
			u.features |= in.Features
		case wire.UserDetach:
			u.detached = true
		}
	}
	return nil
}

// Subtract implements roam.State: drop the prefix shared with prefix. The
// offered extensions stay: they are a set, not a prefix.
func (u *userStream) Subtract(prefix *userStream) {
	if u == prefix {
		u.events = nil
		return
	}
	n := 0
	for n < len(u.events) && n < len(prefix.events) && u.events[n] == prefix.events[n] {
		n++
	}
	if n > 0 {
		u.events = append(u.events[:0:0], u.events[n:]...)
	}
}

// Keys returns the keystroke bytes of the stream in order (for tests and the
// server's input path).
func (u *userStream) Keys() []byte {
	var b bytes.Buffer
	for _, ev := range u.events {
		if !ev.Resize {
			b.WriteByte(ev.Byte)
		}
	}
	return b.Bytes()
}
