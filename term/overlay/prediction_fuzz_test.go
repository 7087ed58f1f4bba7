package overlay

import (
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// checkDisplay checks what must hold after every frame, whatever was typed:
// the display has the server's size, the cursor is on it, and with
// predictions off it is exactly the server's screen.
func (pt *predictTest) checkDisplay() {
	pt.t.Helper()
	srv := pt.srv.Framebuffer()
	if pt.local.Width() != srv.Width() || pt.local.Height() != srv.Height() {
		pt.t.Fatalf("display is %dx%d, server %dx%d", pt.local.Width(), pt.local.Height(), srv.Width(), srv.Height())
	}
	if r, c := pt.local.CursorRow(), pt.local.CursorCol(); r < 0 || r >= srv.Height() || c < 0 || c >= srv.Width() {
		pt.t.Fatalf("cursor (%d,%d) off a %dx%d screen", r, c, srv.Width(), srv.Height())
	}
	if pt.p.pref == Never && !pt.local.Equal(srv) {
		pt.t.Fatal("Never mode changed the display")
	}
}

// runScript interprets data as a session: a header picks the mode and screen
// size, then each byte is an event (a key, server output, an ack, time, a
// new send interval, a resize or a reset) with its argument in the next.
func runScript(t tester, data []byte) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	h0 := next()
	pref := DisplayPreference(h0 % 4)
	pt := newPredictTest(t, pref, h0&4 != 0, 1+int(next()%40), 1+int(next()%12))
	for steps := 0; len(data) > 0 && steps < 4096; steps++ {
		switch op := next(); op % 8 {
		case 0, 1, 2, 3:
			pt.typeKeys(string([]byte{next()}))
		case 4:
			out := make([]byte, int(next()%8))
			for i := range out {
				out[i] = next()
			}
			pt.server(string(out))
		case 5:
			n := pt.sent - min(pt.sent, uint64(next()%3))
			pt.ack(n)
		case 6:
			pt.p.SetSendInterval(time.Duration(next()) * time.Millisecond)
			pt.advance(time.Duration(next()) * 25 * time.Millisecond)
		case 7:
			if a := next(); a%2 == 0 {
				pt.srv.Resize(1+int(a/2%40), 1+int(next()%12))
			} else {
				pt.p.Reset()
			}
			pt.frame()
		}
		pt.checkDisplay()
	}
	// Once the server has echoed everything, nothing is left to guess.
	pt.ackAll()
	pt.checkDisplay()
	if pt.p.Active() {
		t.Fatal("predictions left after everything was acknowledged")
	}
	if !pt.local.Equal(pt.srv.Framebuffer()) {
		t.Fatal("display differs from the server's screen after everything was acknowledged")
	}
}

// FuzzPrediction: any typed bytes against any screen never panic, never draw
// off the screen, and leave the server's screen once all is acknowledged.
func FuzzPrediction(f *testing.F) {
	f.Add([]byte{0, 80, 24, 0, 'a', 5, 0, 1, 'b', 2, 0x7f, 3, 0x1b, 0, 'O', 1, 'D', 4, 3, 'a', 'b', 'c', 5, 0})
	f.Add([]byte{3, 10, 3, 0, 'x', 0, '\r', 4, 2, '\r', '\n', 5, 0, 0, 0xe4, 0, 0xb8, 0, 0xad, 6, 10, 200})
	f.Add([]byte{1, 5, 1, 0, 'a', 0, 'b', 0, 'c', 0, 'd', 0, 'e', 0, 'f', 7, 6, 2, 5, 1})
	f.Add([]byte{7, 3, 2, 0, 0x7f, 0, 0x7f, 4, 7, 0x1b, '[', '2', 'J', 'x', 'y', 'z', 7, 1, 0, 'q', 5, 0})
	f.Add([]byte{2, 40, 12, 0, 'n', 4, 1, 'n', 5, 0, 6, 5, 255, 0, 'm'})
	f.Fuzz(func(t *testing.T, data []byte) {
		runScript(t, data)
	})
}

// A screen that never changes can never confirm a prediction, so outside
// Experimental mode nothing typed is ever shown: the guarantee that keeps a
// password prompt blank.
func TestPredictionStaticScreenShowsNothing(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		pref := rapid.SampledFrom([]DisplayPreference{Adaptive, Always, Never}).Draw(rt, "pref")
		w := rapid.IntRange(1, 30).Draw(rt, "w")
		h := rapid.IntRange(1, 6).Draw(rt, "h")
		pt := newPredictTest(rt, pref, rapid.Bool().Draw(rt, "overwrite"), w, h)
		pt.server(rapid.StringOf(rapid.SampledFrom([]rune("ab $\r\n\x1b[C\x1b[7m"))).Draw(rt, "screen"))
		keys := rapid.SampledFrom([]string{"a", "b", " ", "\x7f", "\r", "\x1bOC", "\x1bOD", "\x1b[C", "\x03", "中", "x"})
		for range rapid.IntRange(1, 60).Draw(rt, "steps") {
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0, 1:
				pt.typeKeys(keys.Draw(rt, "key"))
			case 2:
				pt.ack(pt.sent - uint64(rapid.IntRange(0, int(min(pt.sent, 2))).Draw(rt, "lag")))
			case 3:
				pt.p.SetSendInterval(time.Duration(rapid.IntRange(0, 300).Draw(rt, "interval")) * time.Millisecond)
				pt.advance(time.Duration(rapid.IntRange(0, 6000).Draw(rt, "ms")) * time.Millisecond)
			}
			pt.checkDisplay()
			if !pt.local.Equal(pt.srv.Framebuffer()) {
				rt.Fatalf("a prediction was shown over a screen that never echoed (row %q)", pt.row(pt.local.CursorRow()))
			}
		}
	})
}

// A server that echoes honestly (a shell line editor modelled by writing the
// keys' effect) leaves the display equal to its screen once acknowledged, in
// every mode, and shown predictions are the server's next screen.
func TestPredictionHonestEchoConverges(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		pref := rapid.SampledFrom([]DisplayPreference{Adaptive, Always, Experimental}).Draw(rt, "pref")
		pt := newPredictTest(rt, pref, false, 40, 5)
		pt.server("$ ")
		line := []byte{}
		cursor := 0
		keys := rapid.SampledFrom([]string{"a", "b", "c", "\x7f", "\x1bOD", "\x1bOC"})
		var pending []string // echoes not yet written, one per user state
		for range rapid.IntRange(1, 40).Draw(rt, "steps") {
			if rapid.IntRange(0, 2).Draw(rt, "op") < 2 && len(line) < 30 {
				k := keys.Draw(rt, "key")
				pt.typeKeys(k)
				var echo string
				switch k {
				case "\x7f":
					if cursor > 0 {
						line = append(line[:cursor-1], line[cursor:]...)
						cursor--
						echo = "\b" + string(line[cursor:]) + " " + backs(len(line)-cursor+1)
					}
				case "\x1bOD":
					if cursor > 0 {
						cursor--
						echo = "\b"
					}
				case "\x1bOC":
					if cursor < len(line) {
						echo = string(line[cursor])
						cursor++
					}
				default:
					line = append(line[:cursor], append([]byte(k), line[cursor:]...)...)
					echo = string(line[cursor:]) + backs(len(line)-cursor-1)
					cursor++
				}
				pending = append(pending, echo)
				continue
			}
			// The server catches up with some states and acknowledges them.
			n := rapid.IntRange(0, len(pending)).Draw(rt, "catch up")
			for _, e := range pending[:n] {
				_, _ = pt.srv.Write([]byte(e))
			}
			pending = pending[n:]
			pt.ack(pt.sent - uint64(len(pending)))
			pt.checkDisplay()
		}
		for _, e := range pending {
			_, _ = pt.srv.Write([]byte(e))
		}
		pt.ackAll()
		if pt.p.Active() || !pt.local.Equal(pt.srv.Framebuffer()) {
			rt.Fatalf("not converged: display %q, server %q", pt.row(0), rowText(pt.srv.Framebuffer(), 0))
		}
		if want := strings.TrimRight("$ "+string(line), " "); pt.row(0) != want {
			rt.Fatalf("model line %q, screen %q", want, pt.row(0))
		}
	})
}

func backs(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '\b'
	}
	return string(b)
}
