package term

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestAppendScreenLinesExample(t *testing.T) {
	e := NewEmulator(20, 5)
	_, _ = e.Write([]byte("$ make test\r\n\x1b[1;31mFAIL\x1b[0m ok  \r\n"))
	got := string(AppendScreenLines(nil, e.Framebuffer()))
	// Row 2 is where the cursor is: printed (empty), and the cursor ends
	// at its start. Trailing blanks are left out; the colour ends with
	// its line.
	want := "$ make test\r\n\x1b[0;1;31mFAIL\x1b[0m ok\r\n\r"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	// The cursor above the last visible row, mid-line.
	e = NewEmulator(20, 5)
	_, _ = e.Write([]byte("top\x1b[4;1Hbottom\x1b[1;2H"))
	got = string(AppendScreenLines(nil, e.Framebuffer()))
	if want := "top\r\n\r\n\r\nbottom\r\x1b[3A\x1b[1C"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	// A blank screen leaves nothing but the cursor at a line's start.
	if got := string(AppendScreenLines(nil, NewFramebuffer(10, 3))); got != "\r" {
		t.Errorf("blank screen: %q", got)
	}
}

// genScreenInput is terminal output of the kind a session ends with:
// text (wide characters included), colours, line ends, cursor moves,
// erasures, long lines that wrap.
func genScreenInput(t *rapid.T) []byte {
	pieces := []string{"a", "xyz", "hello world", "中", "é", "  ", "\r\n", "\r", "\n",
		"\x1b[1m", "\x1b[4m", "\x1b[31m", "\x1b[44m", "\x1b[0m", "\x1b[7m",
		"\x1b[K", "\x1b[2J", "\x1b[H", "\x1b[3;5H", "\x1b[A", "\x1b[5C",
		strings.Repeat("w", 25)}
	var b strings.Builder
	for i := rapid.IntRange(0, 40).Draw(t, "n"); i > 0; i-- {
		b.WriteString(rapid.SampledFrom(pieces).Draw(t, "piece"))
	}
	return []byte(b.String())
}

// Law: printing f's lines on a blank terminal of f's size shows f's rows
// down to the cursor's row or the last visible row — the same characters,
// renditions and wide cells — with the cursor where f has it.
func TestAppendScreenLinesLaw(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.IntRange(4, 30).Draw(t, "w")
		h := rapid.IntRange(1, 8).Draw(t, "h")
		src := NewEmulator(w, h)
		_, _ = src.Write(genScreenInput(t))
		f := src.Framebuffer()

		out := AppendScreenLines(nil, f)
		dst := NewEmulator(w, h)
		_, _ = dst.Write(out)
		g := dst.Framebuffer()

		for r := 0; r < h; r++ {
			for c := 0; c < w; c++ {
				a, b := f.Cell(r, c), g.Cell(r, c)
				if a.Wide() && c+1 < w && !f.Cell(r, c+1).Empty() {
					// Overwritten right half: shown as a terminal shows it.
					a = NewCell(" ", false, a.Rendition())
				}
				if !a.ContentsMatch(b) || a.Wide() != b.Wide() || (!a.IsBlank() && a.Rendition() != b.Rendition()) {
					t.Fatalf("cell (%d,%d): source %q %+v, printed %q %+v\nsource:\n%s\nprinted:\n%s\nbytes %q",
						r, c, a.Contents(), a.Rendition(), b.Contents(), b.Rendition(), visibleDump(f), visibleDump(g), out)
				}
				rightHalf := c > 0 && f.Cell(r, c-1).Wide() && a.Empty()
				if a.IsBlank() && !rightHalf && a.Rendition() != b.Rendition() && c < visibleCells(f.Row(r)) {
					t.Fatalf("blank cell (%d,%d) inside the line: rendition %+v, printed %+v; bytes %q", r, c, a.Rendition(), b.Rendition(), out)
				}
			}
		}
		if f.CursorRow() != g.CursorRow() || f.CursorCol() != g.CursorCol() {
			t.Fatalf("cursor at (%d,%d), printed lines leave it at (%d,%d); bytes %q",
				f.CursorRow(), f.CursorCol(), g.CursorRow(), g.CursorCol(), out)
		}
		if g.Rendition() != (Rendition{}) {
			t.Fatalf("the lines leave rendition %+v behind", g.Rendition())
		}
	})
}
