package term

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// The display law on screens made by real byte streams: what applications
// write, fed to the emulator, snapshotted between chunks.

// streamPieces are the building blocks of generated output: text of every
// width, controls, and the control functions the emulator implements.
var streamPieces = []string{
	"hello", "a", " ", "  x", "中文", "😀", "é", "e\u0301", "\u0301", "\u0308\u0308", "\u00a0",
	"\r", "\n", "\r\n", "\b", "\t", "\a", "\x1bD", "\x1bE", "\x1bM", "\x1bH", "\x1b7", "\x1b8",
	"\x1b[H", "\x1b[2;3H", "\x1b[5;1H", "\x1b[1;80H", "\x1b[A", "\x1b[2B", "\x1b[3C", "\x1b[D", "\x1b[4G", "\x1b[3d",
	"\x1b[J", "\x1b[1J", "\x1b[2J", "\x1b[K", "\x1b[1K", "\x1b[2K", "\x1b[2X", "\x1b[9X",
	"\x1b[L", "\x1b[2M", "\x1b[@", "\x1b[3P", "\x1b[S", "\x1b[2T", "\x1b[I", "\x1b[Z", "\x1b[g", "\x1b[3g",
	"\x1b[2;4r", "\x1b[r", "\x1b[?6h", "\x1b[?6l", "\x1b[?7l", "\x1b[?7h", "\x1b[4h", "\x1b[4l",
	"\x1b[m", "\x1b[1;4;31m", "\x1b[7m", "\x1b[44m", "\x1b[38;5;200m", "\x1b[48;2;1;2;3m", "\x1b[92m", "\x1b[22;27m",
	"\x1b]0;title\a", "\x1b]2;win\x1b\\", "\x1b]1;icon\a", "\x1b];semi\a", "\x1b]52;c;aGk=\a",
	"\x1b[?5h", "\x1b[?5l", "\x1b[?25l", "\x1b[?25h", "\x1b[?2004h", "\x1b[?2004l", "\x1b[?1000h", "\x1b[?1002h",
	"\x1b[?1003l", "\x1b[?1006h", "\x1b[?1015h", "\x1b[?1006l", "\x1b[?1004h", "\x1b[?1007h",
	"\x1bc", "\x1b#8", "\x1b[!p", "\x1b[?3h",
}

func genStream(t *rapid.T, label string) []byte {
	var out []byte
	for n := rapid.IntRange(0, 25).Draw(t, label+"n"); n > 0; n-- {
		out = append(out, rapid.SampledFrom(streamPieces).Draw(t, label+"piece")...)
	}
	return out
}

func TestDisplayLawEmulatorStreams(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.IntRange(1, 12).Draw(t, "w")
		h := rapid.IntRange(1, 6).Draw(t, "h")
		em := NewEmulator(w, h)
		rep := NewFramebuffer(w, h)
		repEm := NewEmulatorFor(rep)
		// The client's display once the terminal's scrollback holds the
		// history scrolls with DL: the law holds for it too.
		disp := ServerDisplay()
		disp.Scrollback = rapid.Bool().Draw(t, "scrollback")
		disp.HasDL = rapid.Bool().Draw(t, "dl") // without DL it redraws instead
		var states []*Framebuffer
		prev := NewFramebuffer(w, h)
		for i := rapid.IntRange(1, 6).Draw(t, "chunks"); i > 0; i-- {
			if rapid.IntRange(0, 5).Draw(t, "resize") == 0 {
				em.Resize(rapid.IntRange(1, 12).Draw(t, "w2"), rapid.IntRange(1, 6).Draw(t, "h2"))
			}
			_, _ = em.Write(genStream(t, "chunk"))
			em.TakeAnswers()
			cur := em.Framebuffer().Clone()
			states = append(states, cur)
			if why := unrepresentable(cur); why != "" {
				// The replica cannot follow; start again from a full
				// redraw once the screen is representable again.
				rep = NewFramebuffer(cur.Width(), cur.Height())
				repEm = NewEmulatorFor(rep)
				prev = rep.Clone()
				continue
			}
			// The client's path: resize, then the diff from the previous
			// frame.
			if rep.Width() != cur.Width() || rep.Height() != cur.Height() {
				repEm.Resize(cur.Width(), cur.Height())
			}
			frame := disp.NewFrame(true, prev, cur)
			_, _ = repEm.Write(frame)
			if ans := repEm.TakeAnswers(); len(ans) > 0 {
				t.Fatalf("frame %q made the replica answer %q", frame, ans)
			}
			if d := viewDiff(rep, cur, false); d != "" {
				t.Fatalf("replica after frame %q: %s\nprevious:\n%s\ncurrent:\n%s", frame, d, fbDebug(prev), fbDebug(cur))
			}
			prev = cur
		}
		// Any two snapshots, in either order, as a single step.
		a := rapid.SampledFrom(states).Draw(t, "a")
		b := rapid.SampledFrom(states).Draw(t, "b")
		if a.TitleSet() && !b.TitleSet() {
			a, b = b, a
		}
		if unrepresentable(b) == "" {
			checkLaw(t, a, b)
		}
	})
}

// fuzzScreen builds two screens from fuzz input: a size, then bytes for
// the first screen, then bytes that change it into the second.
func fuzzScreens(data []byte) (a, b *Framebuffer, ok bool) {
	if len(data) < 3 {
		return nil, nil, false
	}
	w, h := 1+int(data[0]%16), 1+int(data[1]%8)
	rest := data[3:]
	split := int(data[2]) * len(rest) / 256
	em := NewEmulator(w, h)
	_, _ = em.Write(rest[:split])
	a = em.Framebuffer().Clone()
	_, _ = em.Write(rest[split:])
	return a, em.Framebuffer(), true
}

func fuzzSeeds(f *testing.F) {
	f.Add([]byte("\x50\x18\x80hello\r\nworld\x1b[2;3Hx"))
	f.Add([]byte("\x05\x03\x40abcdefghijklmnop\x1b[Hq"))
	f.Add([]byte("\x06\x04\x80\x1b[?7l中文中文\x1b[?7h\r\n中"))
	f.Add([]byte("\x0a\x05\x80line1\r\nline2\r\nline3\r\nline4\r\nline5\r\nline6\r\nline7"))
	f.Add([]byte("\x0a\x05\x80\x1b[2;4r\x1b[4;1Habc\ndef\nghi\x1b[r"))
	f.Add([]byte("\x08\x03\x80\x1b[41m\x1b[2J\x1b[m\x1b]0;t\a\x1b[?2004h\x1b[?1002h\x1b[?1006h"))
	f.Add([]byte("\x08\x03\x80e\u0301\u0301\x1b[K\u0308x\x1b[3;8H\x1b[7m12345678"))
	for _, p := range streamPieces {
		f.Add(append([]byte("\x07\x04\x80hello world\r\n"), p...))
	}
}

// FuzzDisplayLaw checks the law for a screen and its successor.
func FuzzDisplayLaw(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b, ok := fuzzScreens(data)
		if !ok || unrepresentable(b) != "" {
			return
		}
		checkLaw(t, a, b)
	})
}

// FuzzDisplayFullRedraw checks a full redraw of any screen onto a blank
// replica of another size.
func FuzzDisplayFullRedraw(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, b, ok := fuzzScreens(data)
		if !ok || unrepresentable(b) != "" {
			return
		}
		blank := NewFramebuffer(1+b.Width()%3, 1+b.Height()%2)
		if d, frame := lawResult(blank, b, false); d != "" {
			t.Fatalf("full redraw: %s\nframe %q\nscreen:\n%s", d, frame, fbDebug(b))
		}
		if d, frame := lawResult(blank, b, true); d != "" {
			t.Fatalf("frame after resize: %s\nframe %q\nscreen:\n%s", d, frame, fbDebug(b))
		}
	})
}

// ExampleDisplay_NewFrame shows the frame a server sends when a shell
// echoes a typed letter.
func ExampleDisplay_NewFrame() {
	em := NewEmulator(20, 2)
	_, _ = em.Write([]byte("$ "))
	before := em.Framebuffer().Clone()
	_, _ = em.Write([]byte("l"))
	fmt.Printf("%q\n", ServerDisplay().NewFrame(true, before, em.Framebuffer()))
	// Output: "l"
}
