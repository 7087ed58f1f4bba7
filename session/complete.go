package session

import (
	"errors"
	"fmt"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// serverDisplay renders the diffs the server sends. Mosh's server builds its
// Display without terminfo, so every capability is on (docs/PROTOCOL.md, The terminal on the wire).
var serverDisplay = term.Display{HasECH: true, HasBCE: true, HasTitle: true}

// complete is the server→client state: the terminal screen and the echo
// acknowledgement (mosh's Terminal::Complete, src/statesync/completeterminal.cc).
//
// A diff is a HostMessage: the echo ack when it changed, then, if the screen
// differs, a resize when the size changed and the escape string that turns
// the old screen into the new one. The receiver replays that string through
// its own emulator, so the replica stays equal to the server's screen.
//
// The state also holds the program's exit status once it is known and the
// client asked for it (an ssh-mosh extension, docs/PROTOCOL-EXTENSIONS.md):
// a diff carries it, last, whenever the reference state lacks it.
type complete struct {
	fb      *term.Framebuffer
	echoAck uint64
	exit    exitState
	hist    historyState
}

var _ roam.State[*complete] = (*complete)(nil)

// newComplete returns a blank width×height screen with echo ack 0.
func newComplete(width, height int) *complete {
	return &complete{fb: term.NewFramebuffer(width, height)}
}

// Framebuffer is the screen. The server's emulator writes to it in place;
// clients must treat it as read-only.
func (c *complete) Framebuffer() *term.Framebuffer { return c.fb }

// EchoAck is the newest client state whose echo is in the screen.
func (c *complete) EchoAck() uint64 { return c.echoAck }

// SetEchoAck raises the echo ack; it never goes down (a real mosh-client
// asserts on that).
func (c *complete) SetEchoAck(n uint64) {
	if n > c.echoAck {
		c.echoAck = n
	}
}

// Clone implements roam.State. Framebuffer rows are copy-on-write, so this is
// cheap enough to do for every state sent.
func (c *complete) Clone() *complete {
	return &complete{fb: c.fb.Clone(), echoAck: c.echoAck, exit: c.exit, hist: c.hist}
}

// Size implements roam.State: the framebuffer's estimate, so the client's
// receiver can bound what a hostile server makes it keep (a resize of a few
// bytes allocates up to maxScreenCells cells).
func (c *complete) Size() int { return c.fb.Size() }

// Equal implements roam.State.
func (c *complete) Equal(o *complete) bool {
	return c.echoAck == o.echoAck && c.exit == o.exit && c.hist.next == o.hist.next && c.hist.on == o.hist.on && c.fb.Equal(o.fb)
}

// DiffFrom implements roam.State.
func (c *complete) DiffFrom(existing *complete) []byte {
	var insBuf [4]wire.HostInstruction // on the stack: only the message is allocated
	ins := insBuf[:0]
	if c.echoAck != existing.echoAck {
		ins = append(ins, wire.HostInstruction{Kind: wire.HostEchoAck, EchoAck: c.echoAck})
	}
	if !c.fb.Equal(existing.fb) {
		if c.fb.Width() != existing.fb.Width() || c.fb.Height() != existing.fb.Height() {
			ins = append(ins, wire.HostInstruction{Kind: wire.HostResize, Width: int32(c.fb.Width()), Height: int32(c.fb.Height())})
		}
		ins = append(ins, wire.HostInstruction{Kind: wire.HostBytes, Bytes: serverDisplay.NewFrame(true, existing.fb, c.fb)})
	}
	ins = c.exit.appendDiff(ins, existing.exit)
	ins = c.hist.appendDiff(ins, existing.hist)
	if len(ins) == 0 {
		return nil
	}
	return wire.AppendHostMessage(nil, ins)
}

var errEchoAckDecrease = errors.New("session: echo ack decreased")

// Apply implements roam.State. The whole diff is checked before anything is
// applied, so a hostile diff leaves the state as it was.
func (c *complete) Apply(diff []byte) error {
	if len(diff) == 0 {
		return nil
	}
	ins, err := wire.ParseHostMessage(diff)
	if err != nil {
		return fmt.Errorf("session: host diff: %w", err)
	}
	ack, exit, histNext, histOn := c.echoAck, c.exit, c.hist.next, c.hist.on
	var hists []wire.History
	for _, in := range ins {
		switch in.Kind {
		case wire.HostEchoAck:
			if in.EchoAck < ack {
				return errEchoAckDecrease
			}
			ack = in.EchoAck
		case wire.HostExitStatus:
			exit = exitState{known: true, status: in.Exit}
		case wire.HostHistory:
			histNext, histOn = max(histNext, in.History.Next), true
			hists = append(hists, in.History)
		}
	}
	emu := term.NewEmulatorFor(c.fb)
	for _, in := range ins {
		switch in.Kind {
		case wire.HostBytes:
			_, _ = emu.Write(in.Bytes)
			// A server never interrogates the client's replica; answers to
			// a hostile query are dropped, never sent anywhere.
			_ = emu.TakeAnswers()
		case wire.HostResize:
			emu.Resize(saneSize(int(in.Width), int(in.Height)))
		}
	}
	c.echoAck, c.exit, c.hist.next, c.hist.on = ack, exit, histNext, histOn
	if c.hist.sink != nil {
		for _, h := range hists {
			c.hist.sink.take(h)
		}
	}
	return nil
}

// Subtract implements roam.State; terminal states have no prefix to drop.
func (c *complete) Subtract(*complete) {}

// Screen size limits. The wire allows 1..65535 in each dimension, but a
// 65535×65535 screen is four billion cells: a peer (or a bug) must not be
// able to make us allocate that. No real terminal comes near these.
const (
	maxScreenSide  = 4096
	maxScreenCells = 1 << 21 // 2 Mi cells, e.g. 2048×1024
)

// saneSize clamps a screen size to 1..maxScreenSide on each side and to at
// most maxScreenCells in all, keeping the width when it must give way.
func saneSize(w, h int) (int, int) {
	w = min(max(w, 1), maxScreenSide)
	h = min(max(h, 1), maxScreenSide)
	if w*h > maxScreenCells {
		h = max(maxScreenCells/w, 1)
	}
	return w, h
}
