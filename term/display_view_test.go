package term

import (
	"fmt"
	"unicode/utf8"
)

// This file defines what "the replica equals the server's framebuffer"
// means for the display law, and which framebuffers mosh's display cannot
// reproduce at all.
//
// Cell-for-cell Equal cannot hold, because mosh's new_frame (which the
// display copies) draws some cells in a form that looks the same but is
// stored differently by the receiving emulator:
//   - runs of up to four empty cells, and empty cells at the end of a
//     continued line, are written as spaces: the replica holds ' ' where
//     the original holds nothing;
//   - a cell that starts with a combining character is written as a
//     no-break space followed by the mark, so the replica holds NBSP+mark
//     where the original holds the mark with the fallback flag;
//   - the cell under the right half of a wide character is never written:
//     whatever the original holds there, the replica holds a blank.
//
// So the law compares what a viewer sees (the view): per cell the grapheme
// drawn (all blanks alike), its rendition and width, skipping cells covered
// by a wide character; per row the wrap flag; and the cursor, modes, title,
// icon name and clipboard exactly.

// cellView is what a viewer sees of a cell.
type cellView struct {
	grapheme string // "" for a blank cell
	rend     Rendition
	wide     bool
}

func viewOf(c Cell) cellView {
	v := cellView{rend: c.Rendition(), wide: c.Wide()}
	if !c.IsBlank() {
		v.grapheme = c.String()
	}
	return v
}

// viewDiff describes the first visible difference between got (a replica)
// and want (the framebuffer it should show), or returns "".
//
// Three things the display does not carry are left out: DEC mode 1007
// (alternate scroll; mosh's new_frame never sends it), the wrap flag of the
// last row (a continued last row cannot be written), and the wrap flag of a
// row whose last column is covered by a wide character that did not change
// (put_row skips the unchanged wide cell, so the flag on the cell under its
// right half is never written; see TestDisplayWideCharWrapFlagQuirk).
//
// Along a chain of frames wrap flags can only be compared loosely
// (checkWrap false): a row drawn while it was the last one lacks its flag
// on the replica, and keeps lacking it after it scrolls up, since the
// display only redraws rows that changed.
func viewDiff(got, want *Framebuffer, checkWrap bool) string {
	if got.Width() != want.Width() || got.Height() != want.Height() {
		return fmt.Sprintf("size %dx%d, want %dx%d", got.Width(), got.Height(), want.Width(), want.Height())
	}
	type field struct {
		name      string
		got, want any
	}
	for _, f := range []field{
		{"cursor row", got.CursorRow(), want.CursorRow()},
		{"cursor col", got.CursorCol(), want.CursorCol()},
		{"cursor visible", got.CursorVisible(), want.CursorVisible()},
		{"reverse video", got.ReverseVideo(), want.ReverseVideo()},
		{"rendition", got.Rendition(), want.Rendition()},
		{"bracketed paste", got.BracketedPaste(), want.BracketedPaste()},
		{"mouse reporting", got.MouseReporting(), want.MouseReporting()},
		{"focus events", got.FocusEvents(), want.FocusEvents()},
		{"mouse encoding", got.MouseEncoding(), want.MouseEncoding()},
		{"title", got.Title(), want.Title()},
		{"icon name", got.IconName(), want.IconName()},
		{"clipboard", got.Clipboard(), want.Clipboard()},
	} {
		if f.got != f.want {
			return fmt.Sprintf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
	w, h := want.Width(), want.Height()
	for y := 0; y < h; y++ {
		for x := 0; x < w; {
			gv, wv := viewOf(got.Cell(y, x)), viewOf(want.Cell(y, x))
			if gv != wv {
				return fmt.Sprintf("cell (%d,%d) = %+v, want %+v\n got row: %s\nwant row: %s",
					y, x, gv, wv, rowDebug(got.Row(y)), rowDebug(want.Row(y)))
			}
			x += want.Cell(y, x).Width()
		}
		if checkWrap && y < h-1 && got.Row(y).Wrap() != want.Row(y).Wrap() && !(w >= 2 && want.Cell(y, w-2).Wide()) {
			return fmt.Sprintf("row %d wrap = %v, want %v\n got row: %s\nwant row: %s",
				y, got.Row(y).Wrap(), want.Row(y).Wrap(), rowDebug(got.Row(y)), rowDebug(want.Row(y)))
		}
	}
	return ""
}

// rowDebug renders a row for failure messages: each cell's contents (· for
// empty), with W for wide, F for fallback and ↵ for the wrap flag, and its
// SGR when not default.
func rowDebug(r *Row) string {
	s := "|"
	for _, c := range r.Cells() {
		if c.Empty() {
			s += "·"
		} else {
			s += fmt.Sprintf("%q", c.Contents())
		}
		if c.Wide() {
			s += "W"
		}
		if c.Fallback() {
			s += "F"
		}
		if c.Wrap() {
			s += "↵"
		}
		if c.Rendition() != (Rendition{}) {
			s += c.Rendition().SGR()[2:]
		}
		s += "|"
	}
	return s
}

// unrepresentable says why mosh's display cannot make any replica show f,
// or returns "". These are limits of mosh 1.4's new_frame (and of the
// emulator receiving it) that our display keeps:
//   - a wide character in the last column (reachable with autowrap off, by
//     inserting cells, or by narrowing the screen): written there, it wraps
//     to the next line on the receiving side;
//   - a cell starting with combining characters whose marks reach the
//     32-byte cell limit: the receiver stores the no-break space in front
//     too, so it keeps one mark less;
//   - a title or icon name over 254 characters (possible with the "ESC ] ;"
//     form, which has a one-character prefix): re-sent as "ESC ] 0 ;", it is
//     cut to 254;
//   - an empty cell with a foreground colour or attributes: erasing gives
//     only the background (no emulator makes such a cell; only overlays);
//   - on a screen one or two columns wide, a continued row that follows
//     another one and whose first cell fills it: put_row writes that cell
//     before its loop and so never counts it as the last one written, and
//     the next row does not continue.
func unrepresentable(f *Framebuffer) string {
	w := f.Width()
	for y := 0; y < f.Height(); y++ {
		if y > 0 && y < f.Height()-1 && f.Row(y-1).Wrap() && f.Row(y).Wrap() && f.Cell(y, 0).Width() >= w {
			return fmt.Sprintf("continued row %d of a %d-column screen", y, w)
		}
		if c := f.Cell(y, w-1); c.Wide() {
			return fmt.Sprintf("wide character in the last column at row %d", y)
		}
		for x := 0; x < w; x++ {
			c := f.Cell(y, x)
			if c.Fallback() && !fallbackFits(c) {
				return fmt.Sprintf("combining marks at (%d,%d) fill the cell", y, x)
			}
			if c.Empty() && c.Rendition() != c.Rendition().backgroundOnly() {
				return fmt.Sprintf("empty cell at (%d,%d) with rendition %q", y, x, c.Rendition().SGR())
			}
		}
	}
	if f.TitleSet() {
		if utf8.RuneCountInString(f.Title()) > 254 || utf8.RuneCountInString(f.IconName()) > 254 {
			return "title or icon name longer than 254 characters"
		}
	}
	return ""
}

// fallbackFits reports whether a receiver that stores a no-break space
// before a fallback cell's marks still keeps all of them: it appends each
// mark while the cell holds fewer than 32 bytes.
func fallbackFits(c Cell) bool {
	n := len("\u00a0")
	for _, r := range c.Contents() {
		if n >= maxCellBytes {
			return false
		}
		n += utf8.RuneLen(r)
	}
	return true
}

// replicaOf returns what a mosh client's replica holding a's screen looks
// like: a's contents, with the state the display never sets at the values
// its frames leave (full-screen scrolling region, no origin mode, autowrap,
// no insert mode, no pending wrap).
func replicaOf(a *Framebuffer) *Framebuffer {
	r := a.Clone()
	ds := &r.ds
	ds.scrollTop, ds.scrollBottom = 0, ds.height-1
	ds.originMode = false
	ds.autoWrap = true
	ds.insertMode = false
	ds.nextPrintWillWrap = false
	return r
}
