package term

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The display law (docs/ARCHITECTURE.md, term): for framebuffers a and b, a client replica
// showing a that is fed ServerDisplay().NewFrame(true, a, b) shows b; and a
// replica of any contents fed NewFrame(false, …, b) shows b. "Shows" is
// viewDiff's comparison (display_view_test.go explains why cell-for-cell
// Equal cannot hold for mosh's frames).

// lawResult applies the frame from a to b (initialized or not) to a
// replica of a, the way a client does (resize first when the size
// changed), and describes what went wrong, or returns "".
func lawResult(a, b *Framebuffer, initialized bool) (string, []byte) {
	frame := ServerDisplay().NewFrame(initialized, a, b)
	rep := replicaOf(a)
	if rep.Width() != b.Width() || rep.Height() != b.Height() {
		rep.Resize(b.Width(), b.Height())
	}
	bell := rep.BellCount()
	em := NewEmulatorFor(rep)
	_, _ = em.Write(frame)
	if ans := em.TakeAnswers(); len(ans) > 0 {
		return fmt.Sprintf("the frame made the replica answer %q (a query reached the client)", ans), frame
	}
	wantBell := bell
	if b.BellCount() != a.BellCount() {
		wantBell++ // one BEL stands for any number of rings
	}
	if rep.BellCount() != wantBell {
		return fmt.Sprintf("bell count %d, want %d", rep.BellCount(), wantBell), frame
	}
	if d := viewDiff(rep, b, true); d != "" {
		return d, frame
	}
	if rep.NextPrintWillWrap() {
		return "the frame left the replica with a wrap pending", frame
	}
	return "", frame
}

// fataler is what checkLaw needs of a *testing.T or *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkLaw fails t when the law does not hold for a → b, both as a diff
// and as a full redraw.
func checkLaw(t fataler, a, b *Framebuffer) {
	t.Helper()
	if d, frame := lawResult(a, b, true); d != "" {
		t.Fatalf("NewFrame(true, a, b) applied to a: %s\nframe: %q\na:\n%s\nb:\n%s", d, frame, fbDebug(a), fbDebug(b))
	}
	blank := NewFramebuffer(b.Width(), b.Height())
	if d, frame := lawResult(blank, b, false); d != "" {
		t.Fatalf("NewFrame(false, blank, b) applied to blank: %s\nframe: %q\nb:\n%s", d, frame, fbDebug(b))
	}
	if d, frame := lawResult(a, b, false); d != "" {
		t.Fatalf("NewFrame(false, a, b) applied to a: %s\nframe: %q\na:\n%s\nb:\n%s", d, frame, fbDebug(a), fbDebug(b))
	}
}

func fbDebug(f *Framebuffer) string {
	var s strings.Builder
	fmt.Fprintf(&s, "  %dx%d cursor (%d,%d) vis %v rend %q title %q icon %q set %v\n", f.Width(), f.Height(),
		f.CursorRow(), f.CursorCol(), f.CursorVisible(), f.Rendition().SGR(), f.Title(), f.IconName(), f.TitleSet())
	for y := 0; y < f.Height(); y++ {
		fmt.Fprintf(&s, "  %2d gen %d %s\n", y, f.Row(y).Gen(), rowDebug(f.Row(y)))
	}
	return s.String()
}

// Generators of framebuffers the emulator could hold.

var (
	narrowChars = []string{"a", "b", "Z", " ", "~", "\u00a0", "é", "ß", "Ж", "€", "\u00ad", "☃"}
	wideChars   = []string{"中", "文", "한", "😀", "🎉", "Ａ"}
	combMarks   = []string{"\u0301", "\u0308", "\u20dd", "\u0327"}
)

func genColor(t *rapid.T, label string) Color {
	switch rapid.IntRange(0, 3).Draw(t, label+"kind") {
	case 0, 1:
		return DefaultColor
	case 2:
		return PaletteColor(uint8(rapid.IntRange(0, 255).Draw(t, label+"pal")))
	default:
		return RGBColor(uint8(rapid.IntRange(0, 255).Draw(t, label+"r")), uint8(rapid.IntRange(0, 3).Draw(t, label+"g")), 7)
	}
}

func genRendition(t *rapid.T) Rendition {
	if rapid.IntRange(0, 2).Draw(t, "plain") == 0 {
		return Rendition{}
	}
	attrs := Attr(rapid.IntRange(0, 127).Draw(t, "attrs")) &^ AttrFaint // the emulator never sets faint
	return Rendition{Fg: genColor(t, "fg"), Bg: genColor(t, "bg"), Attrs: attrs}
}

// genCell draws a cell as the emulator could leave it (an empty cell has
// only a background), except that wide cells are placed by genRow.
func genCell(t *rapid.T, rends []Rendition) Cell {
	rend := rapid.SampledFrom(rends).Draw(t, "rend")
	switch rapid.IntRange(0, 9).Draw(t, "cellkind") {
	case 0, 1, 2:
		return blankCell(rend)
	case 3:
		c := blankCell(rend)
		c.setFlag(cellFallback, true)
		for n := rapid.IntRange(1, 3).Draw(t, "nmarks"); n > 0; n-- {
			c.appendChar([]rune(rapid.SampledFrom(combMarks).Draw(t, "mark"))[0])
		}
		return c
	default:
		s := rapid.SampledFrom(narrowChars).Draw(t, "char")
		if rapid.IntRange(0, 5).Draw(t, "combine") == 0 {
			s += rapid.SampledFrom(combMarks).Draw(t, "mark")
		}
		return NewCell(s, false, rend)
	}
}

// genRow fills a row's cells; wide characters get a blank right half, or
// stale contents there (mosh leaves those when a character is printed over
// the right half later).
func genRow(t *rapid.T, cells []Cell, rends []Rendition) {
	w := len(cells)
	for x := 0; x < w; x++ {
		if x+1 < w && rapid.IntRange(0, 6).Draw(t, "wide") == 0 {
			rend := rapid.SampledFrom(rends).Draw(t, "wrend")
			cells[x] = NewCell(rapid.SampledFrom(wideChars).Draw(t, "wchar"), true, rend)
			if rapid.IntRange(0, 4).Draw(t, "stale") == 0 {
				cells[x+1] = genCell(t, rends)
			} else {
				cells[x+1] = blankCell(rend)
			}
			x++
			continue
		}
		cells[x] = genCell(t, rends)
	}
	if rapid.IntRange(0, 3).Draw(t, "wrap") == 0 {
		cells[w-1].setFlag(cellWrap, true)
	}
}

// genState sets the cursor, modes and strings of f at random.
func genState(t *rapid.T, f *Framebuffer) {
	ds := &f.ds
	ds.cursorRow = rapid.IntRange(0, ds.height-1).Draw(t, "crow")
	ds.cursorCol = rapid.IntRange(0, ds.width-1).Draw(t, "ccol")
	ds.cursorVisible = rapid.Bool().Draw(t, "visible")
	ds.reverseVideo = rapid.Bool().Draw(t, "reverse")
	ds.rend = genRendition(t)
	ds.bracketedPaste = rapid.Bool().Draw(t, "paste")
	ds.mouseReporting = rapid.SampledFrom([]MouseReporting{MouseNone, MouseX10, MouseVT200, MouseVT200Hilit, MouseButton, MouseAny}).Draw(t, "mouse")
	ds.focusEvents = rapid.Bool().Draw(t, "focus")
	ds.mouseEncoding = rapid.SampledFrom([]MouseEncoding{MouseEncodingDefault, MouseEncodingUTF8, MouseEncodingSGR, MouseEncodingURXVT}).Draw(t, "enc")
	ds.altScroll = rapid.Bool().Draw(t, "altscroll")
	// The display leaves these to the emulator; the law must hold
	// whatever they are on the server.
	ds.autoWrap = rapid.Bool().Draw(t, "awm")
	ds.insertMode = rapid.Bool().Draw(t, "irm")
	ds.originMode = rapid.Bool().Draw(t, "decom")
	if rapid.Bool().Draw(t, "titled") || f.titleSet {
		f.titleSet = true
		f.title = rapid.StringMatching(`[a-z é中]{0,12}`).Draw(t, "title")
		f.iconName = f.title
		if rapid.Bool().Draw(t, "icon") {
			f.iconName = rapid.StringMatching(`[A-Z]{0,5}`).Draw(t, "iconname")
		}
	}
	// The emulator keeps only base64 writes (clipboard.go).
	f.clipboard = base64.StdEncoding.EncodeToString(rapid.SliceOfN(rapid.Byte(), 0, 9).Draw(t, "clip"))
	f.bellCount += uint32(rapid.IntRange(0, 2).Draw(t, "bells"))
}

// genFramebuffer draws a framebuffer of random size and contents.
func genFramebuffer(t *rapid.T, w, h int) *Framebuffer {
	f := NewFramebuffer(w, h)
	rends := []Rendition{{}, genRendition(t), genRendition(t)}
	for y := 0; y < h; y++ {
		r := f.mutableRow(y)
		r.gen = f.gens.Add(1)
		genRow(t, r.cells, rends)
	}
	genState(t, f)
	return f
}

// genSuccessor derives b from a the way a screen changes between two
// frames: rows scroll (keeping their identity), some rows or cells change,
// the state changes.
func genSuccessor(t *rapid.T, a *Framebuffer) *Framebuffer {
	b := a.Clone()
	w, h := b.Width(), b.Height()
	rends := []Rendition{{}, genRendition(t), b.Rendition()}
	for n := rapid.IntRange(0, 6).Draw(t, "nops"); n > 0; n-- {
		switch rapid.IntRange(0, 6).Draw(t, "op") {
		case 0: // scroll a region up, as LF at its bottom does
			top := rapid.IntRange(0, h-1).Draw(t, "top")
			bottom := rapid.IntRange(top, h-1).Draw(t, "bottom")
			b.ds.scrollTop, b.ds.scrollBottom = top, bottom
			b.scroll(rapid.IntRange(1, h).Draw(t, "lines"))
		case 1: // scroll down
			top := rapid.IntRange(0, h-1).Draw(t, "top")
			bottom := rapid.IntRange(top, h-1).Draw(t, "bottom")
			b.ds.scrollTop, b.ds.scrollBottom = top, bottom
			b.scroll(-rapid.IntRange(1, h).Draw(t, "lines"))
		case 2: // rewrite a row
			y := rapid.IntRange(0, h-1).Draw(t, "row")
			b.resetRow(y)
			genRow(t, b.mutableRow(y).cells, rends)
		case 3, 4: // change a few cells in place
			y := rapid.IntRange(0, h-1).Draw(t, "row")
			x := rapid.IntRange(0, w-1).Draw(t, "col")
			c := genCell(t, rends)
			if x+1 < w && rapid.IntRange(0, 3).Draw(t, "widecell") == 0 {
				c = NewCell(rapid.SampledFrom(wideChars).Draw(t, "wchar"), true, c.Rendition())
				b.mutableRow(y).cells[x+1] = blankCell(c.Rendition())
			}
			b.mutableRow(y).cells[x] = c
		case 5: // a continued line starts or stops
			y := rapid.IntRange(0, h-1).Draw(t, "row")
			c := &b.mutableRow(y).cells[w-1]
			c.setFlag(cellWrap, !c.Wrap())
		case 6: // erase a row
			b.resetRow(rapid.IntRange(0, h-1).Draw(t, "row"))
		}
	}
	b.ds.scrollTop, b.ds.scrollBottom = 0, h-1
	if rapid.Bool().Draw(t, "newstate") {
		genState(t, b)
	}
	return b
}

// representableOrSkip skips a rapid case whose b no display can show
// (see unrepresentable); the generators rarely make one.
func representableOrSkip(t *rapid.T, f *Framebuffer) {
	if why := unrepresentable(f); why != "" {
		t.Skip(why)
	}
}

func TestDisplayLawRandomPairs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.IntRange(1, 10).Draw(t, "w")
		h := rapid.IntRange(1, 6).Draw(t, "h")
		a := genFramebuffer(t, w, h)
		var b *Framebuffer
		switch rapid.IntRange(0, 2).Draw(t, "how") {
		case 0:
			b = genSuccessor(t, a)
		case 1:
			b = genFramebuffer(t, w, h)
		default:
			b = genFramebuffer(t, rapid.IntRange(1, 10).Draw(t, "w2"), rapid.IntRange(1, 6).Draw(t, "h2"))
		}
		if a.TitleSet() && !b.TitleSet() {
			b.SetTitle(a.IconName(), a.Title()) // a title is never unset
		}
		representableOrSkip(t, b)
		checkLaw(t, a, b)
	})
}

// TestDisplayLawChain runs a server screen through a sequence of frames,
// each derived from the previous one, and keeps one replica up to date
// with the diffs, as a client does.
func TestDisplayLawChain(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.IntRange(1, 10).Draw(t, "w")
		h := rapid.IntRange(1, 6).Draw(t, "h")
		server := genFramebuffer(t, w, h)
		representableOrSkip(t, server)
		rep := NewFramebuffer(w, h)
		em := NewEmulatorFor(rep)
		disp := ServerDisplay()
		disp.Scrollback = rapid.Bool().Draw(t, "scrollback") // scrolls with DL
		_, _ = em.Write(disp.NewFrame(false, rep.Clone(), server))
		for i := rapid.IntRange(1, 8).Draw(t, "steps"); i > 0; i-- {
			next := genSuccessor(t, server)
			representableOrSkip(t, next)
			frame := disp.NewFrame(true, server, next)
			_, _ = em.Write(frame)
			if d := viewDiff(em.Framebuffer(), next, false); d != "" {
				t.Fatalf("replica after frame %q: %s\nprevious:\n%s\nnext:\n%s", frame, d, fbDebug(server), fbDebug(next))
			}
			server = next
		}
	})
}

// TestDisplayNoChangeNoBytes: a frame to an unchanged screen is empty.
func TestDisplayNoChangeNoBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genFramebuffer(t, rapid.IntRange(1, 10).Draw(t, "w"), rapid.IntRange(1, 6).Draw(t, "h"))
		if out := ServerDisplay().NewFrame(true, a, a.Clone()); len(out) != 0 {
			t.Fatalf("NewFrame(true, a, a.Clone()) = %q, want nothing", out)
		}
	})
}

// appendTo checks AppendNewFrame appends to what dst holds.
func TestDisplayAppendNewFrameAppends(t *testing.T) {
	a := NewFramebuffer(5, 2)
	e := NewEmulator(5, 2)
	_, _ = e.Write([]byte("hi"))
	want := ServerDisplay().NewFrame(true, a, e.Framebuffer())
	got := ServerDisplay().AppendNewFrame([]byte("prefix"), true, a, e.Framebuffer())
	if !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("AppendNewFrame = %q, want prefix + %q", got, want)
	}
}
