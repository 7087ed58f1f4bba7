package term

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// screenLines returns the rows as text, trailing blanks trimmed, wide
// continuations skipped.
func screenLines(fb *Framebuffer) []string {
	lines := make([]string, fb.Height())
	for y := range lines {
		var b strings.Builder
		row := fb.Row(y)
		for x := 0; x < row.Width(); x++ {
			c := row.Cell(x)
			b.WriteString(c.String())
			if c.Wide() {
				x++
			}
		}
		lines[y] = strings.TrimRight(b.String(), " ")
	}
	return lines
}

func newEmu(t testing.TB, w, h int, input string) *Emulator {
	t.Helper()
	e := NewEmulator(w, h)
	e.Write([]byte(input))
	return e
}

type screenCase struct {
	name       string
	w, h       int
	in         string
	want       []string
	row, col   int
	willWrap   bool
	checkWraps []bool // optional per-row wrap flags
}

func runScreenCases(t *testing.T, cases []screenCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEmu(t, tc.w, tc.h, tc.in)
			fb := e.Framebuffer()
			if diff := cmp.Diff(tc.want, screenLines(fb)); diff != "" {
				t.Errorf("screen after %q (-want +got):\n%s", tc.in, diff)
			}
			if fb.CursorRow() != tc.row || fb.CursorCol() != tc.col || fb.NextPrintWillWrap() != tc.willWrap {
				t.Errorf("cursor = (%d,%d) wrap %v, want (%d,%d) wrap %v",
					fb.CursorRow(), fb.CursorCol(), fb.NextPrintWillWrap(), tc.row, tc.col, tc.willWrap)
			}
			for y, want := range tc.checkWraps {
				if got := fb.Row(y).Wrap(); got != want {
					t.Errorf("row %d wrap = %v, want %v", y, got, want)
				}
			}
			checkInvariants(t, fb)
		})
	}
}

func TestEmulatorPrintAndWrap(t *testing.T) {
	runScreenCases(t, []screenCase{
		{name: "plain", w: 10, h: 2, in: "hello", want: []string{"hello", ""}, col: 5},
		{name: "pending wrap at margin", w: 3, h: 2, in: "abc", want: []string{"abc", ""}, col: 2, willWrap: true},
		{name: "autowrap marks row", w: 3, h: 2, in: "abcd", want: []string{"abc", "d"}, row: 1, col: 1, checkWraps: []bool{true, false}},
		{name: "wrap scrolls", w: 2, h: 2, in: "abcde", want: []string{"cd", "e"}, row: 1, col: 1},
		{name: "CR cancels pending wrap", w: 3, h: 2, in: "abc\rx", want: []string{"xbc", ""}, col: 1},
		{name: "no autowrap overwrites last", w: 3, h: 2, in: "\x1b[?7labcde", want: []string{"abe", ""}, col: 2, willWrap: true},
		{name: "SGR keeps pending wrap", w: 3, h: 2, in: "abc\x1b[1md", want: []string{"abc", "d"}, row: 1, col: 1},
		{name: "unknown CSI clears pending wrap", w: 3, h: 2, in: "abc\x1b[5qd", want: []string{"abd", ""}, col: 2, willWrap: true},
		{name: "NUL clears pending wrap", w: 3, h: 2, in: "abc\x00d", want: []string{"abd", ""}, col: 2, willWrap: true},
		{name: "HT keeps pending wrap", w: 3, h: 2, in: "abc\td", want: []string{"abc", "d"}, row: 1, col: 1},
		{name: "DEL dropped", w: 5, h: 1, in: "a\x7fb", want: []string{"ab"}, col: 2},
		{name: "invalid UTF-8 replaced", w: 5, h: 1, in: "a\xffb", want: []string{"a\ufffdb"}, col: 3},
		{name: "split UTF-8", w: 5, h: 1, in: "\xe2\x82\xac", want: []string{"€"}, col: 1},
	})
}

func TestEmulatorWideAndCombining(t *testing.T) {
	runScreenCases(t, []screenCase{
		{name: "wide", w: 5, h: 1, in: "一x", want: []string{"一x"}, col: 3},
		{name: "wide at last column wraps without flag", w: 3, h: 2, in: "ab一", want: []string{"ab", "一"}, row: 1, col: 2, checkWraps: []bool{false, false}},
		{name: "wide fills to margin", w: 4, h: 2, in: "ab一", want: []string{"ab一", ""}, col: 3, willWrap: true},
		{name: "combining joins previous", w: 5, h: 1, in: "e\u0301x", want: []string{"e\u0301x"}, col: 2},
		{name: "combining after wrap pending", w: 2, h: 2, in: "ab\u0301", want: []string{"ab\u0301", ""}, col: 1, willWrap: true},
		{name: "combining without base gets fallback", w: 5, h: 1, in: "\u0301", want: []string{"\u00a0\u0301"}, col: 1},
		{name: "combining after erase", w: 5, h: 1, in: "a\x1b[D\x1b[K\u0301", want: []string{"\u00a0\u0301"}, col: 1},
		{name: "zero width space", w: 5, h: 1, in: "a\u200bb", want: []string{"a\u200bb"}, col: 2},
		{name: "soft hyphen is ISO 8859-1, width 1", w: 5, h: 1, in: "a\u00adb", want: []string{"a\u00adb"}, col: 3},
		{name: "unprintable dropped", w: 5, h: 1, in: "a\U000E0080b", want: []string{"ab"}, col: 2},
		{name: "insert mode wide", w: 5, h: 1, in: "abc\x1b[H\x1b[4h一", want: []string{"一abc"}, col: 2},
	})
	e := newEmu(t, 5, 1, "a"+strings.Repeat("\u0301", 40))
	if n := len(e.Framebuffer().Cell(0, 0).Contents()); n != 33 {
		// mosh appends while the contents are under 32 bytes: 1 + 16×2.
		t.Errorf("cell with 40 combining marks holds %d bytes, want 33", n)
	}
}

func TestEmulatorCursorMovement(t *testing.T) {
	runScreenCases(t, []screenCase{
		{name: "CUP", w: 10, h: 5, in: "\x1b[3;4Hx", want: []string{"", "", "   x", "", ""}, row: 2, col: 4},
		{name: "CUP clamps", w: 10, h: 5, in: "\x1b[99;99H", want: []string{"", "", "", "", ""}, row: 4, col: 9},
		{name: "huge params are defaults", w: 10, h: 5, in: "\x1b[3;3H\x1b[999999999;99999999H", want: []string{"", "", "", "", ""}},
		{name: "CUU CUD CUF CUB", w: 10, h: 5, in: "\x1b[3;3H\x1b[A\x1b[2C\x1b[2B\x1b[D", want: []string{"", "", "", "", ""}, row: 3, col: 3},
		{name: "CHA HPA VPA", w: 10, h: 5, in: "\x1b[5G\x1b[3d\x1b[2`", want: []string{"", "", "", "", ""}, row: 2, col: 1},
		{name: "BS stops at 0", w: 10, h: 2, in: "a\b\b\bb", want: []string{"b", ""}, col: 1},
		{name: "NEL IND RI", w: 10, h: 3, in: "ab\x1bEc\x1bDd\x1bMe", want: []string{"ab", "c e", " d"}, row: 1, col: 3},
		{name: "RI at top scrolls down", w: 5, h: 3, in: "a\x1bM", want: []string{"", "a", ""}, col: 1},
		{name: "LF VT FF", w: 5, h: 4, in: "a\nb\vc\fd", want: []string{"a", " b", "  c", "   d"}, row: 3, col: 4},
		{name: "origin mode", w: 5, h: 5, in: "\x1b[2;4r\x1b[?6h\x1b[Hx\x1b[9;1Hy", want: []string{"", "x", "", "y", ""}, row: 3, col: 1},
		{name: "DECSET 6 homes with the old origin", w: 5, h: 5, in: "\x1b[3;4r\x1b[3;3H\x1b[?6h", want: []string{"", "", "", "", ""}},
		{name: "DECSC DECRC", w: 10, h: 3, in: "\x1b[2;5H\x1b7\x1b[H\x1b8x", want: []string{"", "    x", ""}, row: 1, col: 5},
	})
}

func TestEmulatorErase(t *testing.T) {
	const fill = "abcde\r\nfghij\r\nklmno"
	runScreenCases(t, []screenCase{
		{name: "EL 0", w: 5, h: 3, in: fill + "\x1b[2;3H\x1b[K", want: []string{"abcde", "fg", "klmno"}, row: 1, col: 2},
		{name: "EL 1", w: 5, h: 3, in: fill + "\x1b[2;3H\x1b[1K", want: []string{"abcde", "   ij", "klmno"}, row: 1, col: 2},
		{name: "EL 2", w: 5, h: 3, in: fill + "\x1b[2;3H\x1b[2K", want: []string{"abcde", "", "klmno"}, row: 1, col: 2},
		{name: "ED 0", w: 5, h: 3, in: fill + "\x1b[2;3H\x1b[J", want: []string{"abcde", "fg", ""}, row: 1, col: 2},
		{name: "ED 1", w: 5, h: 3, in: fill + "\x1b[2;3H\x1b[1J", want: []string{"", "   ij", "klmno"}, row: 1, col: 2},
		{name: "ED 2", w: 5, h: 3, in: fill + "\x1b[2;3H\x1b[2J", want: []string{"", "", ""}, row: 1, col: 2},
		{name: "ECH", w: 5, h: 3, in: fill + "\x1b[2;2H\x1b[2X", want: []string{"abcde", "f  ij", "klmno"}, row: 1, col: 1},
		{name: "ECH clamps", w: 5, h: 3, in: fill + "\x1b[2;2H\x1b[65535X", want: []string{"abcde", "f", "klmno"}, row: 1, col: 1},
		{name: "ICH", w: 5, h: 3, in: fill + "\x1b[2;2H\x1b[2@", want: []string{"abcde", "f  gh", "klmno"}, row: 1, col: 1},
		{name: "ICH huge", w: 5, h: 3, in: fill + "\x1b[2;2H\x1b[99999999@", want: []string{"abcde", "f ghi", "klmno"}, row: 1, col: 1},
		{name: "DCH", w: 5, h: 3, in: fill + "\x1b[2;2H\x1b[2P", want: []string{"abcde", "fij", "klmno"}, row: 1, col: 1},
		{name: "DECALN", w: 3, h: 2, in: "\x1b#8", want: []string{"EEE", "EEE"}},
		{name: "DECCOLM clears and homes", w: 5, h: 3, in: fill + "\x1b[?3l", want: []string{"", "", ""}},
	})
}

func TestEmulatorLinesAndScrolling(t *testing.T) {
	const fill = "a\r\nb\r\nc\r\nd"
	runScreenCases(t, []screenCase{
		{name: "IL moves to column 0", w: 3, h: 4, in: fill + "\x1b[2;2H\x1b[L", want: []string{"a", "", "b", "c"}, row: 1},
		{name: "DL", w: 3, h: 4, in: fill + "\x1b[2;2H\x1b[2M", want: []string{"a", "d", "", ""}, row: 1},
		{name: "SU", w: 3, h: 4, in: fill + "\x1b[S", want: []string{"b", "c", "d", ""}, row: 3, col: 1},
		{name: "SD", w: 3, h: 4, in: fill + "\x1b[2T", want: []string{"", "", "a", "b"}, row: 3, col: 1},
		{name: "region LF", w: 3, h: 4, in: fill + "\x1b[2;3r\x1b[3;1H\nx", want: []string{"a", "c", "x", "d"}, row: 2, col: 1},
		{name: "region IL", w: 3, h: 4, in: fill + "\x1b[2;3r\x1b[2;1H\x1b[5L", want: []string{"a", "", "", "d"}, row: 1},
		{name: "IL outside region ignored", w: 3, h: 4, in: fill + "\x1b[2;3r\x1b[4;1H\x1b[L", want: []string{"a", "b", "c", "d"}, row: 3},
		{name: "LF below region does not scroll", w: 3, h: 4, in: fill + "\x1b[1;2r\x1b[4;1H\n\n", want: []string{"a", "b", "c", "d"}, row: 3},
		{name: "invalid DECSTBM ignored", w: 3, h: 4, in: fill + "\x1b[3;2r", want: []string{"a", "b", "c", "d"}, row: 3, col: 1},
		{name: "DECSTBM homes", w: 3, h: 4, in: fill + "\x1b[2;3r", want: []string{"a", "b", "c", "d"}},
	})
}

func TestEmulatorTabs(t *testing.T) {
	runScreenCases(t, []screenCase{
		{name: "HT", w: 20, h: 1, in: "a\tb", want: []string{"a       b"}, col: 9},
		{name: "HT to margin", w: 10, h: 1, in: "\t\t\tb", want: []string{"         b"}, col: 9, willWrap: true},
		{name: "CHT", w: 30, h: 1, in: "\x1b[2Ix", want: []string{"                x"}, col: 17},
		{name: "CBT", w: 30, h: 1, in: "\x1b[20G\x1b[2Zx", want: []string{"        x"}, col: 9},
		{name: "CBT stops at 0", w: 30, h: 1, in: "\x1b[20G\x1b[9Zx", want: []string{"x"}, col: 1},
		{name: "HTS and TBC", w: 20, h: 1, in: "\x1b[4G\x1bH\r\tx\x1b[4G\x1b[g\r\ty", want: []string{"   x    y"}, col: 9},
		{name: "TBC 3", w: 20, h: 1, in: "\x1b[3g\tx", want: []string{"                   x"}, col: 19, willWrap: true},
		{name: "C1 HTS", w: 20, h: 1, in: "\x1b[3G\u0088\r\tx", want: []string{"  x"}, col: 3},
	})
}

func TestEmulatorSGR(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"", "\x1b[0m"},
		{"\x1b[1;3;4;5;7;8m", "\x1b[0;1;3;4;5;7;8m"},
		{"\x1b[2;9m", "\x1b[0m"},
		{"\x1b[1;22m", "\x1b[0m"},
		{"\x1b[31;42m", "\x1b[0;31;42m"},
		{"\x1b[91;102m", "\x1b[0;38;5;9;48;5;10m"},
		{"\x1b[38;5;0m", "\x1b[0;30m"},
		{"\x1b[38;5;200;48;5;7m", "\x1b[0;38;5;200;47m"},
		{"\x1b[38;2;1;2;3;48;2;255;0;255m", "\x1b[0;38;2;1;2;3;48;2;255;0;255m"},
		{"\x1b[38;2;300;0;0m", "\x1b[0;38;2;44;0;0m"},
		{"\x1b[38;5;300m", "\x1b[0m"},
		{"\x1b[38;5m", "\x1b[0;5m"}, // too short: 38 ignored, 5 is blink
		{"\x1b[31m\x1b[39m", "\x1b[0m"},
		{"\x1b[1;31m\x1b[m", "\x1b[0m"},
		{"\x1b[4m\x1b[24m\x1b[7m", "\x1b[0;7m"},
	} {
		e := newEmu(t, 5, 1, tc.in+"x")
		if got := e.Framebuffer().Rendition().SGR(); got != tc.want {
			t.Errorf("after %q rendition = %q, want %q", tc.in, got, tc.want)
		}
		if got := e.Framebuffer().Cell(0, 0).Rendition().SGR(); got != tc.want {
			t.Errorf("after %q cell rendition = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Erased cells keep only the background (BCE).
	e := newEmu(t, 3, 1, "\x1b[1;31;44m\x1b[2K")
	if got := e.Framebuffer().Cell(0, 1).Rendition(); got != (Rendition{Bg: PaletteColor(4)}) {
		t.Errorf("erased cell rendition = %+v, want background only", got)
	}
}

func TestEmulatorModes(t *testing.T) {
	e := newEmu(t, 5, 2, "\x1b[?1;5;25l\x1b[?1h\x1b[?5h\x1b[?1000h\x1b[?1002h\x1b[?1006h\x1b[?1004;1007;2004h\x1b[4h\x1b[?1049h")
	fb := e.Framebuffer()
	if !fb.ApplicationCursorKeys() || !fb.ReverseVideo() || fb.CursorVisible() || fb.MouseReporting() != MouseButton ||
		fb.MouseEncoding() != MouseEncodingSGR || !fb.FocusEvents() || !fb.AlternateScroll() || !fb.BracketedPaste() || !fb.InsertMode() {
		t.Errorf("modes not set: %+v", fb.ds)
	}
	e.Write([]byte("\x1b[?1003l\x1b[?1015l\x1b[4l"))
	if fb.MouseReporting() != MouseNone || fb.MouseEncoding() != MouseEncodingDefault || fb.InsertMode() {
		t.Errorf("modes not reset: %+v", fb.ds)
	}
	e.Write([]byte("\x1b[?6h\x1b[2;2r\x1b[1;31m\x1b7\x1b[!p"))
	if fb.OriginMode() || !fb.CursorVisible() || fb.ApplicationCursorKeys() || fb.Rendition() != (Rendition{}) {
		t.Errorf("DECSTR did not reset: %+v", fb.ds)
	}
	if top, bottom := fb.ScrollingRegion(); top != 0 || bottom != 1 {
		t.Errorf("DECSTR region = %d,%d", top, bottom)
	}
	if !fb.ReverseVideo() || !fb.BracketedPaste() {
		t.Errorf("DECSTR must keep reverse video and bracketed paste, as mosh")
	}
}

func TestEmulatorOSC(t *testing.T) {
	e := newEmu(t, 5, 1, "\x1b]0;both\x07")
	fb := e.Framebuffer()
	if fb.Title() != "both" || fb.IconName() != "both" || !fb.TitleSet() {
		t.Errorf("OSC 0: title %q icon %q set %v", fb.Title(), fb.IconName(), fb.TitleSet())
	}
	e.Write([]byte("\x1b]1;icon\x1b\\\x1b]2;t\u00e9\u009c\x1b]52;c;aGk=\x07\x1b]7;file://x\x07"))
	if fb.Title() != "té" || fb.IconName() != "icon" || fb.Clipboard() != "aGk=" {
		t.Errorf("title %q icon %q clipboard %q", fb.Title(), fb.IconName(), fb.Clipboard())
	}
	e.Write([]byte("\x1b];short\x07"))
	if fb.Title() != "short" || fb.IconName() != "short" {
		t.Errorf("ESC ] ; = OSC 0: title %q icon %q", fb.Title(), fb.IconName())
	}
	e.Write([]byte("\x1b]2;" + strings.Repeat("x", 300) + "\x07"))
	if len(fb.Title()) != 254 {
		t.Errorf("title length %d, want 254 (256 with the prefix)", len(fb.Title()))
	}
	e.Write([]byte("\x1b]52;c;" + strings.Repeat("A", 20000) + "\x07"))
	if len(fb.Clipboard()) != 16*1024-5 {
		t.Errorf("clipboard length %d, want %d", len(fb.Clipboard()), 16*1024-5)
	}
	e.Write([]byte("\x07\x07\x1b]0;x\x07"))
	if fb.BellCount() != 2 {
		t.Errorf("bell count %d, want 2 (BEL ending an OSC is no bell)", fb.BellCount())
	}
	e.Write([]byte("\x1bc"))
	if fb.Title() != "" || fb.Clipboard() != "" || fb.IconName() != "x" || !fb.TitleSet() || fb.BellCount() != 2 {
		t.Errorf("RIS: title %q clipboard %q icon %q set %v bells %d; mosh keeps icon, title-set and bells",
			fb.Title(), fb.Clipboard(), fb.IconName(), fb.TitleSet(), fb.BellCount())
	}
}

func TestEmulatorAnswers(t *testing.T) {
	e := newEmu(t, 10, 5, "\x1b[c\x1b[>c\x1b[5n\x1b[3;4H\x1b[6n\x1b[?6n\x1b[0c")
	want := "\x1b[?62c\x1b[>1;10;0c\x1b[0n\x1b[3;4R\x1b[?62c"
	if got := string(e.TakeAnswers()); got != want {
		t.Errorf("answers %q, want %q", got, want)
	}
	if got := e.TakeAnswers(); len(got) != 0 {
		t.Errorf("answers not cleared: %q", got)
	}
}

func TestEmulatorResize(t *testing.T) {
	e := newEmu(t, 4, 3, "abcdefgh\x1b[2;3r\x1b[2;4H")
	fb := e.Framebuffer()
	if !fb.Row(0).Wrap() {
		t.Fatal("row 0 should wrap")
	}
	e.Resize(6, 2)
	if diff := cmp.Diff([]string{"abcd", "efgh"}, screenLines(fb)); diff != "" {
		t.Errorf("after resize (-want +got):\n%s", diff)
	}
	if fb.Row(0).Wrap() {
		t.Error("a width change clears wrap flags")
	}
	if top, bottom := fb.ScrollingRegion(); top != 0 || bottom != 1 {
		t.Errorf("region %d,%d after resize, want reset", top, bottom)
	}
	e.Resize(2, 4)
	if diff := cmp.Diff([]string{"ab", "ef", "", ""}, screenLines(fb)); diff != "" {
		t.Errorf("after shrink (-want +got):\n%s", diff)
	}
	if fb.CursorCol() != 1 || fb.CursorRow() != 1 {
		t.Errorf("cursor (%d,%d), want clamped (1,1)", fb.CursorRow(), fb.CursorCol())
	}
	checkInvariants(t, fb)
	e.Resize(0, -5)
	if fb.Width() != 1 || fb.Height() != 1 {
		t.Errorf("size %dx%d, want 1x1 for non-positive sizes", fb.Width(), fb.Height())
	}
}

func TestTranslateKeys(t *testing.T) {
	fb := NewFramebuffer(5, 1)
	for _, tc := range []struct{ in, want string }{
		{"\x1bOA\x1bOD", "\x1b[A\x1b[D"},
		{"\x1bOP", "\x1bOP"},
		{"\x1b\x1bOA", "\x1b\x1bOA"},
		{"x\x1bO", "x\x1bO"},
	} {
		if got := string(TranslateKeys(fb, []byte(tc.in))); got != tc.want {
			t.Errorf("TranslateKeys(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	e := newEmu(t, 5, 1, "\x1b[?1h")
	if got := string(TranslateKeys(e.Framebuffer(), []byte("\x1bOA"))); got != "\x1bOA" {
		t.Errorf("with DECCKM: %q", got)
	}
	e.Write([]byte("\x1b[?1l"))
	got := string(e.TranslateKeys([]byte("\x1bO"))) + string(e.TranslateKeys([]byte("B")))
	if got != "\x1b[B" {
		t.Errorf("split ESC O B = %q, want ESC [ B", got)
	}
}
