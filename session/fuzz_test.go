package session

import (
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// Fuzz targets for the session's decoders: the two states' Apply, which a
// peer's diffs reach once a datagram has authenticated, and the escape key
// setting. Apply must treat any diff as hostile: no panic, and a rejected
// diff leaves the state exactly as it was, because the transport keeps
// using that state as the reference for later diffs.

// FuzzUserStreamApply applies arbitrary bytes, as the server does with a
// client's diff, to a stream that already holds some events.
func FuzzUserStreamApply(f *testing.F) {
	seed := func(keys string, diff []byte) { f.Add([]byte(keys), true, diff) }
	seed("", []byte{0x0a, 0x06, 0x1a, 0x04, 0x28, 0x50, 0x30, 0x18}) // docs/PROTOCOL.md, UserMessage: resize 80×24
	seed("ls", wire.AppendUserMessage(nil, []wire.UserInstruction{
		{Kind: wire.UserKeystroke, Keys: []byte(" -l\r")},
		{Kind: wire.UserResize, Width: 100, Height: 30},
		{Kind: wire.UserKeystroke, Keys: []byte("\x1bOA")},
	}))
	seed("x", []byte{0xff, 0xff})                                                 // §8 trap 2
	seed("x", []byte{0x0a, 0x06, 0x1a, 0x04, 0x28, 0x00, 0x30, 0x18})             // §8 trap 6: 0×24
	seed("", []byte{0x0a, 0x05, 0x12, 0x03, 0x22, 0x05, 'a'})                     // keys longer than the message
	seed("abc", []byte{0x0a, 0x0a, 0x12, 0x04, 0x22, 0x02, 'a', 'b', 0x1a, 0x00}) // both extensions in one
	seed("", nil)
	seed("", wire.AppendUserMessage(nil, []wire.UserInstruction{ // our client's first diff
		{Kind: wire.UserExtensionOffer, Features: wire.FeatureExitStatus},
		{Kind: wire.UserResize, Width: 80, Height: 24},
	}))
	seed("", []byte{0x0a, 0x05, 0x82, 0x80, 0x02, 0x01, 0x08}) // truncated offer
	f.Fuzz(func(t *testing.T, keys []byte, resized bool, diff []byte) {
		u := newUserStream()
		u.PushKeys(keys)
		if resized {
			u.PushResize(80, 24)
		}
		before := u.Clone()

		err := u.Apply(diff)
		if err != nil {
			if !u.Equal(before) {
				t.Fatalf("rejected diff %x changed the stream: %d events, was %d", diff, u.Len(), before.Len())
			}
			return
		}

		// The stream grew by exactly the events the diff holds, in order,
		// behind the events it had.
		want := before.Clone()
		if len(diff) > 0 {
			ins, perr := wire.ParseUserMessage(diff)
			if perr != nil {
				t.Fatalf("Apply accepted %x that ParseUserMessage rejects: %v", diff, perr)
			}
			for _, in := range ins {
				switch in.Kind {
				case wire.UserKeystroke:
					want.PushKeys(in.Keys)
				case wire.UserResize:
					want.events = append(want.events, userEvent{Resize: true, Width: in.Width, Height: in.Height})
				case wire.UserExtensionOffer:
					want.Offer(in.Features)
				case wire.UserDetach:
					want.Detach()
				}
			}
		}
		if !u.Equal(want) {
			t.Fatalf("after Apply(%x): %d events, want %d", diff, u.Len(), want.Len())
		}
		for _, ev := range u.Events()[before.Len():] {
			if ev.Resize && (ev.Width < 1 || ev.Height < 1 || ev.Width > wire.MaxTermDim || ev.Height > wire.MaxTermDim) {
				t.Fatalf("accepted a resize to %d×%d", ev.Width, ev.Height)
			}
		}

		// What was added is what DiffFrom sends: the law the transport
		// relies on when it re-sends a state to the server.
		again := before.Clone()
		if err := again.Apply(u.DiffFrom(before)); err != nil || !again.Equal(u) {
			t.Fatalf("Apply(DiffFrom(before)) = %d events (%v), want %d", again.Len(), err, u.Len())
		}
	})
}

// FuzzCompleteApply applies arbitrary diff bytes, as a client does with a
// server's diff, over a small screen the fuzzer draws first.
func FuzzCompleteApply(f *testing.F) {
	host := func(ins ...wire.HostInstruction) []byte { return wire.AppendHostMessage(nil, ins) }
	bytesIns := func(s string) wire.HostInstruction {
		return wire.HostInstruction{Kind: wire.HostBytes, Bytes: []byte(s)}
	}
	// The reply the real mosh-server sent (docs/PROTOCOL.md, Test vectors, Live exchange).
	f.Add(uint8(79), uint8(23), []byte("$ "), uint64(0),
		host(wire.HostInstruction{Kind: wire.HostEchoAck, EchoAck: 1}, bytesIns("\x1b[?25l\necho mosh-ok\r\n# mosh-ok\r\n# \x1b[?25h")))
	f.Add(uint8(9), uint8(3), []byte("abc\r\ndef"), uint64(3),
		host(wire.HostInstruction{Kind: wire.HostResize, Width: 20, Height: 2}, bytesIns("\x1b[H\x1b[2Jxyz")))
	f.Add(uint8(9), uint8(3), []byte("abc"), uint64(5), host(wire.HostInstruction{Kind: wire.HostEchoAck, EchoAck: 4})) // §8 trap 8: decreasing
	f.Add(uint8(9), uint8(3), []byte(""), uint64(0), []byte{0x0a, 0x06, 0x1a, 0x04, 0x28, 0x00, 0x30, 0x00})            // §8 trap 6: 0×0
	f.Add(uint8(3), uint8(1), []byte("x"), uint64(0), host(wire.HostInstruction{Kind: wire.HostResize, Width: wire.MaxTermDim, Height: 1}))
	f.Add(uint8(9), uint8(3), []byte("q"), uint64(0), host(bytesIns("\x1b[c\x1b[6n\x1b]0;title\a"))) // queries: answers dropped
	f.Add(uint8(9), uint8(3), []byte("q"), uint64(0), []byte{0xff, 0xff})                            // §8 trap 2
	f.Add(uint8(0), uint8(0), []byte(""), uint64(0), []byte(nil))
	f.Add(uint8(9), uint8(3), []byte("$ "), uint64(0), host(bytesIns("out"), wire.HostInstruction{Kind: wire.HostExitStatus, Exit: wire.ExitStatus{Code: 3}}))
	f.Add(uint8(9), uint8(3), []byte("$ "), uint64(0), []byte{0x0a, 0x06, 0x8a, 0x80, 0x02, 0x02, 0x10, 0xff}) // signal out of range
	f.Fuzz(func(t *testing.T, w, h uint8, screen []byte, echoAck uint64, diff []byte) {
		c := newComplete(1+int(w%80), 1+int(h%24))
		_, _ = term.NewEmulatorFor(c.Framebuffer()).Write(screen)
		c.SetEchoAck(echoAck)
		before := c.Clone()
		// A second clone catches an Apply that writes through to a
		// framebuffer it shares rows with.
		witness := c.Clone()

		err := c.Apply(diff)
		if !before.Equal(witness) {
			t.Fatal("Apply changed a clone of the state it was applied to")
		}
		if err != nil {
			if !c.Equal(before) {
				t.Fatalf("rejected diff %x changed the state", diff)
			}
			return
		}

		fb := c.Framebuffer()
		if cw, ch := fb.Width(), fb.Height(); cw < 1 || ch < 1 || cw > maxScreenSide || ch > maxScreenSide || cw*ch > maxScreenCells {
			t.Fatalf("screen is %d×%d after Apply", cw, ch)
		}
		if r, col := fb.CursorRow(), fb.CursorCol(); r < 0 || r >= fb.Height() || col < 0 || col >= fb.Width() {
			t.Fatalf("cursor (%d,%d) off a %d×%d screen", r, col, fb.Width(), fb.Height())
		}
		wantAck := before.EchoAck()
		wantExit, wantExited := before.ExitStatus()
		if len(diff) > 0 {
			ins, perr := wire.ParseHostMessage(diff)
			if perr != nil {
				t.Fatalf("Apply accepted %x that ParseHostMessage rejects: %v", diff, perr)
			}
			for _, in := range ins {
				if in.Kind == wire.HostEchoAck {
					wantAck = in.EchoAck
				}
				if in.Kind == wire.HostExitStatus {
					wantExit, wantExited = in.Exit, true
				}
			}
		}
		if c.EchoAck() != wantAck || wantAck < before.EchoAck() {
			t.Fatalf("echo ack %d → %d, the diff says %d", before.EchoAck(), c.EchoAck(), wantAck)
		}
		if got, ok := c.ExitStatus(); ok != wantExited || got != wantExit {
			t.Fatalf("exit status %v %v, the diff says %v %v", got, ok, wantExit, wantExited)
		}

		// Apply depends on nothing but the state and the diff.
		again := witness.Clone()
		if err := again.Apply(diff); err != nil || !again.Equal(c) {
			t.Fatalf("applying %x twice from equal states gave different results (%v)", diff, err)
		}
	})
}

// FuzzParseEscapeKey: MOSH_ESCAPE_KEY is user input. The result is either
// disabled (only for an empty value) or a byte 1..127 that is none of the
// keys mosh refuses, and a single allowed character is taken as is.
func FuzzParseEscapeKey(f *testing.F) {
	for _, v := range []string{"", "\x1e", "~", "\x03", "\x0d", "\x00", "\x7f", "\x80", "ab", "^", "\x1d"} {
		f.Add(v, true)
	}
	f.Add("", false)
	f.Fuzz(func(t *testing.T, value string, set bool) {
		k := ParseEscapeKey(value, set)
		if k.Key == -1 {
			if !set || value != "" {
				t.Fatalf("ParseEscapeKey(%q, %v) disabled the escape key", value, set)
			}
			return
		}
		switch {
		case k.Key < 1 || k.Key > 127:
			t.Fatalf("ParseEscapeKey(%q, %v): key %d", value, set, k.Key)
		case k.Key == 0x03 || k.Key == 0x04 || k.Key == 0x0a || k.Key == 0x0c || k.Key == 0x0d:
			t.Fatalf("ParseEscapeKey(%q, %v): refused key %#x", value, set, k.Key)
		case k.Pass < 0x20 || k.Pass > 0x7f || k.Name == "" || !strings.Contains(k.Help, k.Name):
			t.Fatalf("ParseEscapeKey(%q, %v) = %+v", value, set, k)
		}
		if set && len(value) == 1 && value[0] >= 1 && value[0] <= 127 && !strings.ContainsRune("\x03\x04\x0a\x0c\x0d", rune(value[0])) && k.Key != int(value[0]) {
			t.Fatalf("ParseEscapeKey(%q) = %#x, want the character itself", value, k.Key)
		}
		if (!set || len(value) != 1) && k.Key != 0x1e {
			t.Fatalf("ParseEscapeKey(%q, %v) = %#x, want the default Ctrl-^", value, set, k.Key)
		}
	})
}
