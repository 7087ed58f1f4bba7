package term

import (
	"unicode/utf8"
	"unsafe"
)

// Default bounds of a History: 10,000 lines, as many terminals keep; the
// byte bound keeps a ring of very wide or very colourful lines from
// growing past a few megabytes.
const (
	DefaultHistoryLines = 10000
	DefaultHistoryBytes = 4 << 20
)

// HistoryLine is one line that scrolled off the top of the primary screen:
// its absolute number (0 for the first line the session ever scrolled
// off), its text as a terminal is to be given it (see appendLineText:
// printable UTF-8 with SGR sequences for the renditions, trailing empty
// default cells cut off), and whether it soft-wrapped into the next line.
// Lines are kept as text, not cells: a cell takes 32 bytes, a character of
// text one to four, and a flood of output scrolls hundreds of thousands of
// lines through the ring.
type HistoryLine struct {
	N    uint64
	Text []byte
	Wrap bool
}

// lineOverhead is what a kept line costs beside its text (the
// HistoryLine in the ring), so that a flood of empty lines is bounded in
// bytes too.
const lineOverhead = int(unsafe.Sizeof(HistoryLine{}))

func (l HistoryLine) bytes() int { return lineOverhead + cap(l.Text) }

// History is a bounded ring of the lines that left the top of the
// primary screen (the server's scrollback). Only a scroll of a region
// starting at row 0 outside the alternate screen adds lines: an
// application on the alternate screen (DECSET 47/1047/1049, which mosh's
// single framebuffer otherwise ignores) or scrolling a region lower on the
// screen (a pager's body, a status line) does not produce history, as in
// xterm and tmux.
//
// Lines are numbered consecutively for the whole session; when the ring
// is full the oldest lines are dropped, so First can move past 0 and a
// reader can tell exactly which lines it missed.
//
// A History is not safe for concurrent use; it is owned by its Emulator.
type History struct {
	maxLines, maxBytes int

	buf   []HistoryLine // circular; grows by appending up to maxLines
	start int           // index in buf of the oldest line
	n     int           // lines kept
	next  uint64        // number the next line gets = lines ever added
	bytes int           // sum of the kept lines' bytes()
	alt   bool          // the application is on the alternate screen

	// primary is the primary screen's rows while the application is on
	// the alternate screen (see Framebuffer.altScreen), and cursor the
	// cursor 1049 saved.
	primary []*Row
	cursor  savedCursor

	scratch []byte // reused to build a line's text
	slab    []byte // where the next lines' texts are stored (see store)
}

// slabSize is the size of the blocks line texts are stored in: one
// allocation per few hundred lines instead of one per line. Lines leave
// the ring oldest first, so a block is freed once its last line is
// dropped, and at most one block's worth is kept beyond the byte bound.
const slabSize = 64 << 10

// store returns a copy of text, in the current slab.
func (h *History) store(text []byte) []byte {
	if len(text) == 0 {
		return nil
	}
	if len(text) > slabSize/8 {
		return append([]byte(nil), text...)
	}
	if cap(h.slab)-len(h.slab) < len(text) {
		h.slab = make([]byte, 0, slabSize)
	}
	n := len(h.slab)
	h.slab = append(h.slab, text...)
	return h.slab[n:len(h.slab):len(h.slab)]
}

// NewHistory returns an empty ring keeping at most maxLines lines and
// about maxBytes bytes (at least the newest line is always kept). A
// maxLines below 1 is raised to 1; use no History at all to turn it off.
func NewHistory(maxLines, maxBytes int) *History {
	return &History{maxLines: max(maxLines, 1), maxBytes: max(maxBytes, 0)}
}

// Next is the number the next line will get: the count of lines ever
// added, kept or not.
func (h *History) Next() uint64 { return h.next }

// First is the number of the oldest kept line (Next when empty).
func (h *History) First() uint64 { return h.next - uint64(h.n) }

// Len is the number of kept lines.
func (h *History) Len() int { return h.n }

// Bytes is the memory the kept lines take, as bounded by maxBytes.
func (h *History) Bytes() int { return h.bytes }

// AltScreen reports whether the application is on the alternate screen.
func (h *History) AltScreen() bool { return h.alt }

// Line returns line number n if it is still kept. Its cells must not be
// modified.
func (h *History) Line(n uint64) (HistoryLine, bool) {
	if n < h.First() || n >= h.next {
		return HistoryLine{}, false
	}
	return h.buf[(h.start+int(n-h.First()))%len(h.buf)], true
}

// add appends a copy of row as the next line and drops the oldest lines
// past the bounds.
func (h *History) add(row *Row) {
	h.scratch = appendLineText(h.scratch[:0], row.cells)
	l := HistoryLine{N: h.next, Text: h.store(h.scratch), Wrap: row.Wrap()}
	h.next++
	if h.n == h.maxLines {
		h.dropOldest()
	}
	if h.n == len(h.buf) { // grow: lay the ring out flat first
		flat := make([]HistoryLine, h.n, min(max(2*h.n, 64), h.maxLines))
		for i := range h.n {
			flat[i] = h.buf[(h.start+i)%len(h.buf)]
		}
		h.buf, h.start = flat[:cap(flat)], 0
	}
	h.buf[(h.start+h.n)%len(h.buf)] = l
	h.n++
	h.bytes += l.bytes()
	for h.bytes > h.maxBytes && h.n > 1 {
		h.dropOldest()
	}
}

// DropBefore drops the kept lines numbered below n: a reader that has
// not got them finds a gap there.
func (h *History) DropBefore(n uint64) {
	for h.n > 0 && h.First() < n {
		h.dropOldest()
	}
}

func (h *History) dropOldest() {
	l := &h.buf[h.start]
	h.bytes -= l.bytes()
	*l = HistoryLine{}
	h.start = (h.start + 1) % len(h.buf)
	h.n--
}

// SetHistory makes the emulator keep the lines that scroll off the top of
// its primary screen in h (nil turns it off). Nothing else about the
// emulator changes: its framebuffer is the same with or without history.
func (e *Emulator) SetHistory(h *History) { e.fb.history = h }

// History returns the ring set with SetHistory, or nil.
func (e *Emulator) History() *History { return e.fb.history }

// altScreen handles DECSET/DECRST 47, 1047 and 1049 (on says which). mosh
// keeps one screen and ignores them, and so does a framebuffer without a
// history: that keeps the screen mosh-identical for a stock client. With a
// history (our client asked for scrollback) the framebuffer keeps the
// screen as xterm and tmux do, because otherwise a full-screen program's
// last page would stay on the screen after it quits and later scroll into
// the history: entering the alternate screen saves the primary screen's
// rows (and, for 1049, the cursor) and starts blank; leaving it puts them
// back (cut or padded if the screen was resized meanwhile). While on the
// alternate screen nothing scrolling off is history.
func (f *Framebuffer) altScreen(mode int, on bool) {
	h := f.history
	if h == nil || on == h.alt {
		return
	}
	h.alt = on
	ds := &f.ds
	if on {
		h.primary = append(h.primary[:0], f.rows...)
		// The saved rows are now shared: writes to the screen copy them
		// first, as after a Clone.
		f.owner = new(rowOwner)
		if mode == 1049 {
			prev := ds.save
			ds.saveCursor()
			h.cursor, ds.save = ds.save, prev
		}
		f.fillRows(f.rows, nil)
		return
	}
	saved := h.primary
	h.primary = nil
	for i := range f.rows {
		if i >= len(saved) {
			f.fillRows(f.rows[i:], nil)
			break
		}
		r := saved[i]
		if len(r.cells) != ds.width {
			r = f.resizedRow(r, ds.width, blankCell(Rendition{})) // resized meanwhile
		}
		f.rows[i] = r
	}
	if mode == 1049 {
		prev := ds.save
		ds.save = h.cursor
		ds.restoreCursor()
		ds.save = prev
	}
}

// scrollUpHistory scrolls the region up by n lines (n > 0), first keeping
// the lines that leave the screen's top in the history when that is
// history: a region starting at row 0, on the primary screen.
func (f *Framebuffer) scrollUpHistory(n int) {
	if h := f.history; h != nil && !h.alt && f.ds.scrollTop == 0 && n > 0 {
		for _, r := range f.rows[:min(n, f.ds.scrollBottom+1)] {
			h.add(r)
		}
	}
	f.scroll(n)
}

// appendLineText appends cells as they are written into a terminal's own
// scrollback: their characters, with an SGR sequence (Rendition.AppendSGR,
// palette colours as palette colours) wherever the rendition changes and
// a reset at the end if it is not the default. An empty cell is a space,
// trailing empty cells in the default rendition are cut off, the
// continuation of a wide character is skipped, and a character no
// terminal should receive inside a line (a C0 or C1 control, DEL) becomes
// U+FFFD, so the text only ever holds printable UTF-8 and SGR.
//
// It reads the cells once, front to back: a flood of output passes every
// line through here, and a row's cells are a few kilobytes.
func appendLineText(dst []byte, cells []Cell) []byte {
	var cur Rendition
	// cut is dst's length after the last cell that is not empty in the
	// default rendition, and cutRend the rendition there.
	cut, cutRend := len(dst), Rendition{}
	skip := false
	for i := range cells {
		c := &cells[i]
		if skip {
			skip = false
			continue
		}
		if c.fg != cur.Fg || c.bg != cur.Bg || c.attrs != cur.Attrs {
			cur = c.Rendition()
			dst = cur.AppendSGR(dst)
		}
		// Most cells hold one printable ASCII character or nothing.
		if c.comb == "" && c.flags&(cellWide|cellFallback) == 0 {
			if c.base == 0 {
				dst = append(dst, ' ')
				if c.flags != 0 || cur != (Rendition{}) {
					cut, cutRend = len(dst), cur
				}
				continue
			}
			if c.base >= 0x20 && c.base < 0x7f {
				dst = append(dst, byte(c.base))
				cut, cutRend = len(dst), cur
				continue
			}
		}
		start := len(dst)
		dst = c.AppendGrapheme(dst)
		dst = sanitizeText(dst, start)
		skip = c.Wide()
		cut, cutRend = len(dst), cur
	}
	dst = dst[:cut]
	if cutRend != (Rendition{}) {
		dst = append(dst, "\x1b[0m"...)
	}
	return dst
}

// sanitizeText replaces control characters in dst[start:] with U+FFFD.
func sanitizeText(dst []byte, start int) []byte {
	clean := true
	for _, r := range string(dst[start:]) {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			clean = false
			break
		}
	}
	if clean {
		return dst
	}
	s := string(dst[start:])
	dst = dst[:start]
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			r = '\uFFFD'
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}
