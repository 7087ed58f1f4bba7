package term

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func historyEmu(w, h, lines, bytes int) *Emulator {
	e := NewEmulator(w, h)
	e.SetHistory(NewHistory(lines, bytes))
	return e
}

var sgrRE = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// lineText is the line's characters without its SGR sequences.
func lineText(l HistoryLine) string { return sgrRE.ReplaceAllString(string(l.Text), "") }

// TestHistorySeq: seq's 3000 lines through a 80×24 screen leave every line
// that scrolled off, in order, numbered from 0.
func TestHistorySeq(t *testing.T) {
	e := historyEmu(80, 24, DefaultHistoryLines, DefaultHistoryBytes)
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(e, "L%05d\r\n", i)
	}
	h := e.History()
	// 3000 lines and the empty last one: 3001 rows, 24 still on the screen.
	if got, want := h.Next(), uint64(3001-24); got != want {
		t.Fatalf("Next = %d, want %d", got, want)
	}
	for n := h.First(); n < h.Next(); n++ {
		l, ok := h.Line(n)
		if !ok || l.N != n || lineText(l) != fmt.Sprintf("L%05d", n+1) {
			t.Fatalf("line %d = %+v %q, %v", n, l.N, lineText(l), ok)
		}
	}
	if got := strings.TrimSpace(e.fb.Row(0).Cell(0).String() + e.fb.Row(0).Cell(1).String()); got != "L0" {
		t.Fatalf("screen top %q", got)
	}
}

// TestHistoryRenditions: the kept text carries the colours and attributes
// as SGR (palette colours as palette colours); trailing default blanks are
// cut, coloured blanks are kept; a control character a cell holds becomes
// U+FFFD.
func TestHistoryRenditions(t *testing.T) {
	e := historyEmu(10, 2, 10, 1<<20)
	e.Write([]byte("\x1b[1;31ma\x1b[38;5;200mb\x1b[44m \x1b[m\r\n\r\n"))
	l, ok := e.History().Line(0)
	if want := "\x1b[0;1;31ma\x1b[0;1;38;5;200mb\x1b[0;1;38;5;200;44m \x1b[0m"; !ok || string(l.Text) != want {
		t.Fatalf("line 0: %v %q, want %q", ok, l.Text, want)
	}
	if got := string(appendLineText(nil, []Cell{NewCell("\u0085", false, Rendition{}), NewCell("日", true, Rendition{}), {}, NewCell("x", false, Rendition{})})); got != "\ufffd日x" {
		t.Fatalf("sanitized %q", got)
	}
}

// TestHistoryWrap: a soft-wrapped line keeps its wrap flag.
func TestHistoryWrap(t *testing.T) {
	e := historyEmu(4, 2, 10, 1<<20)
	e.Write([]byte("abcdefg\r\n\r\n"))
	l0, _ := e.History().Line(0)
	l1, _ := e.History().Line(1)
	if !l0.Wrap || l1.Wrap || lineText(l0) != "abcd" || lineText(l1) != "efg" {
		t.Fatalf("%+v %+v", l0, l1)
	}
}

// TestHistoryAltScreenAddsNothing: whatever an application does on the
// alternate screen, and with any of the three modes, no line is kept.
func TestHistoryAltScreenAddsNothing(t *testing.T) {
	for _, mode := range []string{"47", "1047", "1049"} {
		e := historyEmu(10, 3, 100, 1<<20)
		e.Write([]byte("\x1b[?" + mode + "h" + strings.Repeat("x\r\n", 50) + "\x1b[5S\x1b[?" + mode + "l"))
		if n := e.History().Next(); n != 0 {
			t.Errorf("mode %s: %d lines", mode, n)
		}
		e.Write([]byte("\x1b[3;1H\r\n"))
		if n := e.History().Next(); n != 1 {
			t.Errorf("mode %s: after leaving, %d lines, want 1", mode, n)
		}
		e.Write([]byte("\x1b[?" + mode + "h\x1bc\r\n\r\n\r\n")) // RIS leaves it
		if n := e.History().Next(); n != 2 {
			t.Errorf("mode %s: after RIS, %d lines, want 2", mode, n)
		}
	}
}

// TestHistoryRegionScrollAddsNothing: a region below row 0 scrolls without
// history; a region starting at row 0 keeps the lines leaving its top; SU
// counts as a scroll, DL and SD do not.
func TestHistoryRegionScrollAddsNothing(t *testing.T) {
	e := historyEmu(10, 5, 100, 1<<20)
	e.Write([]byte("\x1b[2;5r\x1b[5;1H" + strings.Repeat("x\n", 20) + "\x1b[3S"))
	if n := e.History().Next(); n != 0 {
		t.Fatalf("region 2-5: %d lines", n)
	}
	e.Write([]byte("\x1b[1;4r\x1b[1;1Htop\x1b[4;1H\n\x1b[2S"))
	if n := e.History().Next(); n != 3 {
		t.Fatalf("region 1-4: %d lines, want 3", n)
	}
	if l, _ := e.History().Line(0); lineText(l) != "top" {
		t.Fatalf("first kept %q", lineText(l))
	}
	e.Write([]byte("\x1b[r\x1b[1;1H\x1b[3M\x1b[3T\x1b[2J"))
	if n := e.History().Next(); n != 3 {
		t.Fatalf("DL/SD/ED: %d lines, want 3", n)
	}
}

// TestHistoryRingBoundsProperty: for any output, the ring holds at most
// its line bound, at most its byte bound (or one line), consecutive
// numbers ending at Next-1, and its byte count is exact.
func TestHistoryRingBoundsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, hgt := rapid.IntRange(1, 30).Draw(t, "w"), rapid.IntRange(1, 8).Draw(t, "h")
		maxLines := rapid.IntRange(1, 20).Draw(t, "lines")
		maxBytes := rapid.IntRange(0, 3000).Draw(t, "bytes")
		e := historyEmu(w, hgt, maxLines, maxBytes)
		frag := rapid.SampledFrom(append(oracleFragments, "\r\n", "\n", "abcdefghijklmnop", "\x1b[?1049h", "\x1b[?1049l", "\x1b[2S"))
		var added uint64
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			before := e.History().Next()
			e.Write([]byte(frag.Draw(t, "frag")))
			added += e.History().Next() - before
			h := e.History()
			if h.Len() > maxLines || (h.Len() > 1 && h.Bytes() > maxBytes) {
				t.Fatalf("ring %d lines %d bytes, bounds %d %d", h.Len(), h.Bytes(), maxLines, maxBytes)
			}
			if h.First()+uint64(h.Len()) != h.Next() || h.Next() != added {
				t.Fatalf("numbering: first %d len %d next %d added %d", h.First(), h.Len(), h.Next(), added)
			}
			sum := 0
			for n := h.First(); n < h.Next(); n++ {
				l, ok := h.Line(n)
				if !ok || l.N != n {
					t.Fatalf("line %d: %v %d", n, ok, l.N)
				}
				sum += l.bytes()
			}
			if sum != h.Bytes() {
				t.Fatalf("bytes %d, counted %d", h.Bytes(), sum)
			}
			if _, ok := h.Line(h.Next()); ok {
				t.Fatal("line past Next")
			}
		}
	})
}

// altModeFree is frags without the alternate screen's modes and RIS.
func altModeFree(frags []string) []string {
	var out []string
	for _, f := range frags {
		if !strings.Contains(f, "?47") && !strings.Contains(f, "?1047") && !strings.Contains(f, "?1049") && !strings.Contains(f, "\x1bc") {
			out = append(out, f)
		}
	}
	return out
}

// TestHistoryDoesNotChangeScreenProperty: with or without history, the
// emulator ends in exactly the same state (the oracle dump) for any output
// that does not use the alternate screen, and a clone taken meanwhile
// carries no history.
func TestHistoryDoesNotChangeScreenProperty(t *testing.T) {
	frags := altModeFree(append(oracleFragments, "\r\n", "\x1b[3S"))
	rapid.Check(t, func(t *rapid.T) {
		w, hgt := rapid.IntRange(1, 20).Draw(t, "w"), rapid.IntRange(1, 8).Draw(t, "h")
		plain, kept := NewEmulator(w, hgt), historyEmu(w, hgt, 5, 1000)
		frag := rapid.SampledFrom(frags)
		for range rapid.IntRange(1, 30).Draw(t, "steps") {
			data := []byte(frag.Draw(t, "frag"))
			plain.Write(data)
			kept.Write(data)
			if got, want := oracleDump(kept, kept.TakeAnswers()), oracleDump(plain, plain.TakeAnswers()); got != want {
				t.Fatalf("history changed the screen:\n%s", lineDiff(want, got))
			}
			if kept.fb.Clone().history != nil {
				t.Fatal("clone has the history")
			}
		}
	})
}

// TestAltScreenRestoresProperty: with a history, whatever an application
// does on the alternate screen (any of the three modes), leaving it puts
// back the primary screen's rows as they were, and for 1049 the cursor;
// a clone taken on the alternate screen is not changed by leaving it.
// Without a history the modes change nothing, as in mosh (the oracle
// differential covers that).
func TestAltScreenRestoresProperty(t *testing.T) {
	frags := altModeFree(append(oracleFragments, "\r\n", "\x1b[3S", "\x1b[2J", "\x1b7", "\x1b8"))
	rapid.Check(t, func(t *rapid.T) {
		w, hgt := rapid.IntRange(1, 20).Draw(t, "w"), rapid.IntRange(1, 8).Draw(t, "h")
		e := historyEmu(w, hgt, 50, 10000)
		frag := rapid.SampledFrom(frags)
		for range rapid.IntRange(0, 15).Draw(t, "before") {
			e.Write([]byte(frag.Draw(t, "frag")))
		}
		mode := rapid.SampledFrom([]string{"47", "1047", "1049"}).Draw(t, "mode")
		// An escape ends an unfinished UTF-8 sequence with U+FFFD on the
		// primary screen: let that happen before the snapshot.
		e.Write([]byte("\x1b[m"))
		before := e.fb.Clone()
		next := e.History().Next()
		e.Write([]byte("\x1b[?" + mode + "h"))
		for range rapid.IntRange(0, 15).Draw(t, "on alt") {
			e.Write([]byte(frag.Draw(t, "frag")))
		}
		onAlt := e.fb.Clone()
		altRows := make([]string, hgt)
		for y := range hgt {
			altRows[y] = string(appendLineText(nil, onAlt.Row(y).Cells()))
		}
		e.Write([]byte("\x1b[?" + mode + "l"))
		for y := range hgt {
			if !e.fb.Row(y).EqualCells(before.Row(y)) {
				t.Fatalf("row %d after leaving: %q, before entering: %q", y,
					appendLineText(nil, e.fb.Row(y).Cells()), appendLineText(nil, before.Row(y).Cells()))
			}
			if got := string(appendLineText(nil, onAlt.Row(y).Cells())); got != altRows[y] {
				t.Fatalf("the clone taken on the alternate screen changed at row %d", y)
			}
		}
		if mode == "1049" && (e.fb.ds.cursorRow != before.ds.cursorRow || e.fb.ds.cursorCol != before.ds.cursorCol) {
			t.Fatalf("cursor %d,%d after 1049l, %d,%d before 1049h", e.fb.ds.cursorRow, e.fb.ds.cursorCol, before.ds.cursorRow, before.ds.cursorCol)
		}
		if e.History().Next() != next {
			t.Fatalf("%d lines of history from the alternate screen", e.History().Next()-next)
		}
	})
}

// TestAltScreenRestoreAfterResize: a resize on the alternate screen (a
// window resized in vim) leaves the restored rows cut or padded, and
// the cursor inside the screen.
func TestAltScreenRestoreAfterResize(t *testing.T) {
	e := historyEmu(10, 4, 50, 10000)
	e.Write([]byte("0123456789\r\nabc\r\ndef"))
	e.Write([]byte("\x1b[?1049hvim"))
	e.Resize(6, 2)
	e.Write([]byte("\x1b[?1049l"))
	if got := lineText(HistoryLine{Text: appendLineText(nil, e.fb.Row(0).Cells())}); got != "012345" {
		t.Fatalf("row 0 %q", got)
	}
	if got := lineText(HistoryLine{Text: appendLineText(nil, e.fb.Row(1).Cells())}); strings.TrimRight(got, " ") != "abc" {
		t.Fatalf("row 1 %q", got)
	}
	if r, c := e.fb.ds.cursorRow, e.fb.ds.cursorCol; r > 1 || c > 5 {
		t.Fatalf("cursor %d,%d outside 6x2", r, c)
	}
	e.Resize(12, 5)
	e.Write([]byte("\x1b[?1049h\x1b[?1049l"))
	if got := lineText(HistoryLine{Text: appendLineText(nil, e.fb.Row(0).Cells())}); strings.TrimRight(got, " ") != "012345" {
		t.Fatalf("row 0 after growing %q", got)
	}
}

// TestHistoryFloodBounded: a long flood keeps the ring at its
// bound.
func TestHistoryFloodBounded(t *testing.T) {
	e := historyEmu(200, 50, 1000, 100_000)
	line := strings.Repeat("y", 199) + "\r\n"
	for range 20000 {
		e.Write([]byte(line))
	}
	h := e.History()
	if h.Bytes() > 100_000 || h.Len() > 1000 || h.Next() != 20000+1-50 {
		t.Fatalf("len %d bytes %d next %d", h.Len(), h.Bytes(), h.Next())
	}
}

// appendLineTextRef is appendLineText without its fast path for ASCII
// cells and its single pass: the trailing empty default cells cut first,
// then every cell through AppendGrapheme and sanitizeText.
func appendLineTextRef(dst []byte, cells []Cell) []byte {
	for len(cells) > 0 && cells[len(cells)-1] == (Cell{}) {
		cells = cells[:len(cells)-1]
	}
	var cur Rendition
	skip := false
	for _, c := range cells {
		if skip {
			skip = false
			continue
		}
		if r := c.Rendition(); r != cur {
			dst = r.AppendSGR(dst)
			cur = r
		}
		start := len(dst)
		dst = c.AppendGrapheme(dst)
		dst = sanitizeText(dst, start)
		skip = c.Wide()
	}
	if cur != (Rendition{}) {
		dst = append(dst, "\x1b[0m"...)
	}
	return dst
}

// TestLineTextFastPathProperty: the single pass with its fast path for
// ASCII cells writes what the general one does, for rows mixing ASCII,
// controls, DEL, wide and combining characters, empty cells (trailing ones
// too) and renditions.
func TestLineTextFastPathProperty(t *testing.T) {
	rends := []Rendition{{}, {Attrs: AttrBold}, {Fg: PaletteColor(1)}, {Bg: PaletteColor(4)}, {Fg: RGBColor(1, 2, 3)}}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 40).Draw(t, "n")
		cells := make([]Cell, n)
		for i := range cells {
			rend := rapid.SampledFrom(rends).Draw(t, "rend")
			switch rapid.IntRange(0, 7).Draw(t, "kind") {
			case 0:
				cells[i] = Cell{}.WithRendition(rend)
			case 7:
				cells[i] = Cell{} // trailing runs of these are cut
			case 1, 2:
				cells[i] = NewCell(string(rune(rapid.IntRange(0x20, 0x7e).Draw(t, "ascii"))), false, rend)
			case 3:
				cells[i] = NewCell(string(rune(rapid.SampledFrom([]int{0, 0x1b, 0x7f, 0x85, 0x9f, 0xa0, 0xe9}).Draw(t, "ctl"))), false, rend)
			case 4:
				cells[i] = NewCell("日", true, rend)
			case 5:
				cells[i] = NewCell("e\u0301", false, rend)
			case 6:
				cells[i] = NewCell("\u0301", false, rend)
			}
		}
		if got, want := appendLineText(nil, cells), appendLineTextRef(nil, cells); string(got) != string(want) {
			t.Fatalf("fast path %q, general %q", got, want)
		}
	})
}
