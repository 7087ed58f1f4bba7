package term

import (
	"testing"
)

// emulatorFuzzSeeds are inputs known to be nasty: huge parameters, endless
// strings, partial UTF-8, every family of control function.
var emulatorFuzzSeeds = []string{
	"\x1b[999999999;99999999H", "\x1b[99999999@", "\x1b[65535L\x1b[65535M\x1b[65535P\x1b[65535S\x1b[65535T",
	"\x1b]0;" + string(make([]byte, 300)), "\x1bP" + "qqqq", "\x1b]52;c;" + "QUFB",
	"\xe2\x82", "\xf8\x88\x80\x80\x80", "a\u0301\u0301", "\u4e00\u4e00\u4e00", "\x1b[?6h\x1b[2;3r\x1b[?6lx",
	"\x1b#8\x1b[2;2r\x1b[?6h\x1b[L\x1b[M", "\x1b[4h\u4e00ab\x1b[4l", "\x1b7\x1b[1;31m\x1b8", "\x1bc\x1b[!p",
	"\x1b[38;2;300;70000;5m\x1b[48;5;300m", "\t\t\x1b[3g\x1b[5Z\x1b[5I", "\u009b1;2H\u009d0;x\u009c",
}

func FuzzParser(f *testing.F) {
	for b := range 0x80 {
		f.Add([]byte{byte(b)}, uint8(0))
	}
	for _, s := range emulatorFuzzSeeds {
		f.Add([]byte(s), uint8(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		var whole, parts recorder
		var p1, p2 Parser
		p1.Parse(data, &whole)
		cut := int(split) % (len(data) + 1)
		p2.Parse(data[:cut], &parts)
		p2.Parse(data[cut:], &parts)
		if len(whole.events) != len(parts.events) {
			t.Fatalf("split at %d changed the number of events: %d vs %d", cut, len(whole.events), len(parts.events))
		}
		for i := range whole.events {
			if whole.events[i] != parts.events[i] {
				t.Fatalf("split at %d changed event %d: %s vs %s", cut, i, whole.events[i], parts.events[i])
			}
		}
		if cap(p1.osc) > maxOSCRunes*2 || p1.params.n > maxParamBytes || p1.ninter > maxIntermediates {
			t.Fatalf("parser buffers unbounded: osc %d params %d inter %d", cap(p1.osc), p1.params.n, p1.ninter)
		}
	})
}

// slowActions hides the ASCII fast path from the parser, so that every
// character goes through Print.
type slowActions struct{ a *actions }

func (s slowActions) Print(r rune)                                { s.a.Print(r) }
func (s slowActions) Execute(r rune)                              { s.a.Execute(r) }
func (s slowActions) EscDispatch(inter []byte, final rune)        { s.a.EscDispatch(inter, final) }
func (s slowActions) CSIDispatch(p *Params, i []byte, final rune) { s.a.CSIDispatch(p, i, final) }
func (s slowActions) OSCDispatch(data []rune)                     { s.a.OSCDispatch(data) }

var _ Handler = slowActions{}

func FuzzEmulator(f *testing.F) {
	for _, s := range emulatorFuzzSeeds {
		f.Add([]byte(s), uint16(80), uint16(24), uint8(3))
		f.Add([]byte(s), uint16(1), uint16(1), uint8(0))
		f.Add([]byte(s), uint16(3), uint16(2), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, w, h uint16, split uint8) {
		width, height := 1+int(w)%300, 1+int(h)%300
		e := NewEmulator(width, height)
		cut := int(split) % (len(data) + 1)
		e.Write(data[:cut])
		checkInvariants(t, e.fb)
		snapshot := e.fb.Clone()
		before := oracleDump(&Emulator{fb: snapshot}, nil)
		e.Write(data[cut:])
		checkInvariants(t, e.fb)
		// Writing to the live framebuffer must not leak into a clone.
		if after := oracleDump(&Emulator{fb: snapshot}, nil); after != before {
			t.Fatalf("clone changed after writes to the original:\n%s", lineDiff(before, after))
		}
		// One Write, and the per-character path, must give the same result.
		whole := NewEmulator(width, height)
		whole.Write(data)
		slow := NewEmulator(width, height)
		slow.parser.Parse(data, slowActions{(*actions)(slow)})
		want := oracleDump(e, e.TakeAnswers())
		if got := oracleDump(whole, whole.TakeAnswers()); got != want {
			t.Fatalf("split write at %d differs:\n%s", cut, lineDiff(want, got))
		}
		if got := oracleDump(slow, slow.TakeAnswers()); got != want {
			t.Fatalf("per-character printing differs from runs:\n%s", lineDiff(want, got))
		}
		if !whole.fb.Equal(e.fb) {
			t.Fatal("Equal is false for identical screens")
		}
	})
}
