package term

import (
	"testing"

	"pgregory.net/rapid"
)

// TestCopyOnWriteLaw: an emulator whose framebuffer is cloned at random
// moments (so its rows are shared and copied on write) and whose clones
// are then scribbled on must end in exactly the state of one never cloned,
// and every clone must keep the state it was taken in.
func TestCopyOnWriteLaw(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, h := rapid.IntRange(1, 20).Draw(t, "w"), rapid.IntRange(1, 10).Draw(t, "h")
		plain, cloned := NewEmulator(w, h), NewEmulator(w, h)
		type snap struct {
			fb   *Framebuffer
			dump string
		}
		var snaps []snap
		fragment := rapid.SampledFrom(oracleFragments)
		for range rapid.IntRange(1, 30).Draw(t, "steps") {
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0:
				nw, nh := rapid.IntRange(1, 20).Draw(t, "nw"), rapid.IntRange(1, 10).Draw(t, "nh")
				plain.Resize(nw, nh)
				cloned.Resize(nw, nh)
			case 1, 2:
				c := cloned.fb.Clone()
				snaps = append(snaps, snap{c, oracleDump(&Emulator{fb: c}, nil)})
			case 3:
				if len(snaps) > 0 { // writing to a clone must not reach the original
					s := snaps[rapid.IntRange(0, len(snaps)-1).Draw(t, "snap")]
					scribble := &Emulator{fb: s.fb.Clone()}
					scribble.Write([]byte("\x1b[2J\x1b#8\x1b[Sx\x1b[L"))
				}
			default:
				var data []byte
				for range rapid.IntRange(0, 10).Draw(t, "n") {
					data = append(data, fragment.Draw(t, "fragment")...)
				}
				plain.Write(data)
				cloned.Write(data)
			}
			if got, want := oracleDump(cloned, cloned.TakeAnswers()), oracleDump(plain, plain.TakeAnswers()); got != want {
				t.Fatalf("cloned emulator diverged:\n%s", lineDiff(want, got))
			}
			if !plain.fb.Equal(cloned.fb) {
				t.Fatal("Equal false for identical states")
			}
		}
		for i, s := range snaps {
			if got := oracleDump(&Emulator{fb: s.fb}, nil); got != s.dump {
				t.Fatalf("snapshot %d changed:\n%s", i, lineDiff(s.dump, got))
			}
		}
	})
}

// TestEqualLaw: Equal agrees with a full comparison of what it covers, and
// is symmetric.
func TestEqualLaw(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, h := rapid.IntRange(1, 8).Draw(t, "w"), rapid.IntRange(1, 4).Draw(t, "h")
		a, b := NewEmulator(w, h), NewEmulator(w, h)
		fragment := rapid.SampledFrom(oracleFragments)
		for range rapid.IntRange(0, 4).Draw(t, "na") {
			a.Write([]byte(fragment.Draw(t, "a")))
		}
		for range rapid.IntRange(0, 4).Draw(t, "nb") {
			b.Write([]byte(fragment.Draw(t, "b")))
		}
		eq := a.fb.Equal(b.fb)
		if eq != b.fb.Equal(a.fb) {
			t.Fatal("Equal is not symmetric")
		}
		if want := visibleDump(a.fb) == visibleDump(b.fb); eq != want {
			t.Fatalf("Equal = %v, visible comparison = %v\n%s", eq, want, lineDiff(visibleDump(a.fb), visibleDump(b.fb)))
		}
	})
}

// visibleDump renders what Equal is documented to compare.
func visibleDump(fb *Framebuffer) string {
	ds := fb.ds
	var s []byte
	s = append(s, fb.title+"\x00"+fb.iconName+"\x00"+fb.clipboard+"\x00"...)
	s = append(s, byte(fb.bellCount), byte(ds.width), byte(ds.height), byte(ds.cursorRow), byte(ds.cursorCol))
	for _, v := range []bool{ds.cursorVisible, ds.reverseVideo, ds.bracketedPaste, ds.focusEvents, ds.altScroll} {
		if v {
			s = append(s, 1)
		} else {
			s = append(s, 0)
		}
	}
	s = append(s, byte(ds.mouseReporting), byte(ds.mouseReporting>>8), byte(ds.mouseEncoding), byte(ds.mouseEncoding>>8))
	s = ds.rend.AppendSGR(s)
	for _, r := range fb.rows {
		for _, c := range r.cells {
			s = c.AppendContents(s)
			s = append(s, byte(c.flags))
			s = c.Rendition().AppendSGR(s)
		}
		s = append(s, '\n')
	}
	return string(s)
}
