package term

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrailingBlanksTmux: tmux (like iTerm2 and most terminals) keeps
// erased cells apart from cells written as spaces, and a copy of the screen
// carries the written ones as trailing spaces. For every stream of the
// corpus (and of testdata/trailing: erasures on wrapped rows, scrolling
// regions, spaces the application did write), what our server and client
// write to the user's terminal (pipelineBytes) is shown in tmux, beside the
// stream itself written straight into tmux. In `capture-pane -p -N`, which
// keeps trailing spaces, no row may end in more blanks through our display
// than written straight into tmux, wherever those blanks are in the
// default colours (a coloured erase is drawn with spaces on a terminal
// without background colour erase, as mosh does). tmux itself keeps some
// erased cells as blanks (after ICH, DCH, ECH): ours may have fewer.
func TestTrailingBlanksTmux(t *testing.T) {
	corpus := append(loadCorpus(t), loadStreams(t, "testdata/trailing")...)
	d := startLoop(t, false)
	dir := t.TempDir()
	checked := 0
	for _, s := range corpus {
		t.Run(s.name, func(t *testing.T) {
			drawn := filepath.Join(dir, s.name+".drawn")
			if err := os.WriteFile(drawn, pipelineBytes(s), 0o644); err != nil {
				t.Fatal(err)
			}
			_, fb := ourScreen(s.data())
			d.show(t, corpusStream{name: s.name, paths: []string{strings.Join(s.paths, " ")}})
			direct := d.plain(t)
			d.show(t, corpusStream{name: s.name + " drawn", paths: []string{drawn}})
			ours := d.plain(t)
			for y := range min(len(direct), len(ours), fb.Height()) {
				a, b := direct[y], ours[y]
				ta, tb := strings.TrimRight(a, " "), strings.TrimRight(b, " ")
				if ta != tb || !defaultTrailingBlanks(fb.Row(y).Cells()) {
					// A coloured erase, or screens that differ
					// (TestDiffDirectTmux lists where tmux and
					// mosh part): not a question of copied blanks.
					continue
				}
				checked++
				if na, nb := len(a)-len(ta), len(b)-len(tb); nb > na {
					t.Errorf("row %d ends in %d blanks through our display, %d written straight into tmux:\n  %q\n  %q", y, nb, na, b, a)
				}
			}
		})
	}
	if checked == 0 {
		t.Fatal("no row compared")
	}
}

// defaultTrailingBlanks reports whether the blanks that end a row are all
// in the default rendition.
func defaultTrailingBlanks(cells []Cell) bool {
	for x := len(cells) - 1; x >= 0 && cells[x].IsBlank(); x-- {
		if cells[x].Rendition() != (Rendition{}) {
			return false
		}
	}
	return true
}

// TestTrailingBlanksErased is the same rule without tmux, on our own
// emulator as the terminal (it keeps erased cells apart from written
// spaces too): for every stream, each row's trailing run of default-colour
// blanks on the terminal our display drew holds a written space only where
// the application wrote one.
func TestTrailingBlanksErased(t *testing.T) {
	corpus := append(loadCorpus(t), loadStreams(t, "testdata/trailing")...)
	for _, s := range corpus {
		_, want := ourScreen(s.data())
		term := NewEmulator(80, 24)
		_, _ = term.Write(pipelineBytes(s))
		got := term.Framebuffer()
		for y := range got.Height() {
			gc, wc := got.Row(y).Cells(), want.Row(y).Cells()
			for x := len(gc) - 1; x >= 0 && gc[x].IsBlank() && gc[x].Rendition() == (Rendition{}); x-- {
				if !gc[x].Empty() && wc[x].Empty() {
					t.Errorf("%s: row %d col %d: a space written where the application erased", s.name, y, x)
					break
				}
			}
		}
	}
}

// pipelineBytes is what our client writes to its terminal for stream s
// (ourPipeline's bytes): the display opened, a first full frame, then one
// frame per part of the stream.
func pipelineBytes(s corpusStream) []byte {
	server := NewEmulator(80, 24)
	replica := NewEmulator(80, 24)
	client := DisplayForTerm("tmux-256color")
	out := client.Open(false)
	shown := replica.Framebuffer().Clone()
	out = append(out, client.NewFrame(false, shown, shown)...)
	prev := server.Framebuffer().Clone()
	for _, part := range s.parts {
		_, _ = server.Write(part)
		server.TakeAnswers()
		cur := server.Framebuffer().Clone()
		_, _ = replica.Write(ServerDisplay().NewFrame(true, prev, cur))
		next := replica.Framebuffer().Clone()
		out = append(out, client.NewFrame(true, shown, next)...)
		prev, shown = cur, next
	}
	return out
}

// plain captures the screen's text with trailing spaces kept.
func (d *streamDriver) plain(t *testing.T) []string {
	t.Helper()
	lines, err := d.ctl.Command("capture-pane -p -N")
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestTrailingBlanksErasedRandom checks the rule of TestTrailingBlanksErased
// on random streams of the operations that erase or move cells (ECH, DCH,
// ICH, EL, ED, IL, DL, SU, SD, scrolling regions, wrapped rows), each in
// three frames, so that the display's incremental diffs are exercised.
func TestTrailingBlanksErasedRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	ops := []func() string{
		func() string { return strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(90)) },
		func() string { return "   " },
		func() string { return fmt.Sprintf("\x1b[%d;%dH", 1+rng.IntN(24), 1+rng.IntN(80)) },
		func() string { return fmt.Sprintf("\x1b[%dX", 1+rng.IntN(20)) },
		func() string { return fmt.Sprintf("\x1b[%dP", 1+rng.IntN(20)) },
		func() string { return fmt.Sprintf("\x1b[%d@", 1+rng.IntN(20)) },
		func() string { return fmt.Sprintf("\x1b[%dK", rng.IntN(3)) },
		func() string { return fmt.Sprintf("\x1b[%dJ", rng.IntN(3)) },
		func() string { return fmt.Sprintf("\x1b[%dL", 1+rng.IntN(5)) },
		func() string { return fmt.Sprintf("\x1b[%dM", 1+rng.IntN(5)) },
		func() string { return fmt.Sprintf("\x1b[%dS", 1+rng.IntN(5)) },
		func() string { return fmt.Sprintf("\x1b[%dT", 1+rng.IntN(5)) },
		func() string { top := 1 + rng.IntN(12); return fmt.Sprintf("\x1b[%d;%dr", top, top+1+rng.IntN(11)) },
		func() string { return "\x1b[r" },
		func() string { return "\r\n" },
		func() string { return "\n\n\n" },
		func() string { return "\x1bM" },
	}
	for i := range 400 {
		s := corpusStream{name: fmt.Sprintf("random-%d", i)}
		for range 3 {
			var b strings.Builder
			for range 1 + rng.IntN(12) {
				b.WriteString(ops[rng.IntN(len(ops))]())
			}
			s.parts = append(s.parts, []byte(b.String()))
		}
		_, want := ourScreen(s.data())
		term := NewEmulator(80, 24)
		_, _ = term.Write(pipelineBytes(s))
		got := term.Framebuffer()
		for y := range got.Height() {
			gc, wc := got.Row(y).Cells(), want.Row(y).Cells()
			for x := len(gc) - 1; x >= 0 && gc[x].IsBlank() && gc[x].Rendition() == (Rendition{}); x-- {
				if !gc[x].Empty() && wc[x].Empty() {
					t.Fatalf("%s %q: row %d col %d: a space written where the application erased", s.name, s.parts, y, x)
				}
			}
		}
	}
}
