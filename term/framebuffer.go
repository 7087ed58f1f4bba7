package term

import "sync/atomic"

// Row is one screen line. Rows are shared between a framebuffer and its
// clones until one of them writes to the row (copy on write), so a *Row
// obtained from Framebuffer.Row must be treated as read-only.
type Row struct {
	cells []Cell
	// gen is renewed whenever a row is created or erased as a whole (mosh's
	// Row::gen) and kept when a row is copied for writing. Two rows with
	// the same gen descend from the same line, which is how the display
	// tells a line that scrolled from one that merely looks the same.
	gen   uint64
	owner *rowOwner // the framebuffer allowed to write in place; nil = shared
}

// rowOwner identifies one framebuffer as the exclusive writer of its rows.
// It must not be a zero-size type: distinct pointers to zero-size values
// may compare equal.
type rowOwner struct{ _ byte }

// Cells returns the row's cells; the slice must not be modified.
func (r *Row) Cells() []Cell { return r.cells }

// Cell returns the cell in column col.
func (r *Row) Cell(col int) Cell { return r.cells[col] }

// Width returns the number of cells.
func (r *Row) Width() int { return len(r.cells) }

// Wrap reports whether the row soft-wraps into the next one (text ran past
// the right margin). mosh keeps this flag on the row's last cell.
func (r *Row) Wrap() bool { return r.cells[len(r.cells)-1].Wrap() }

// Gen returns the row's generation number (see Row.Same).
func (r *Row) Gen() uint64 { return r.gen }

// Same reports whether two rows have the same generation and cells (mosh's
// Row::operator==): the test the display uses for scroll detection.
func (r *Row) Same(o *Row) bool { return r == o || (r.gen == o.gen && r.EqualCells(o)) }

// EqualCells reports whether two rows hold equal cells, ignoring gen.
func (r *Row) EqualCells(o *Row) bool {
	if r == o {
		return true
	}
	if len(r.cells) != len(o.cells) {
		return false
	}
	for i := range r.cells {
		if r.cells[i] != o.cells[i] {
			return false
		}
	}
	return true
}

// Framebuffer is the state of a terminal screen as mosh models it (mosh's
// Framebuffer and DrawState): cells, cursor, modes, title, bell count and
// clipboard. The zero value is not usable; call NewFramebuffer.
//
// A Framebuffer is not safe for concurrent use, but a clone is independent
// of its original: each may be used by a different goroutine.
type Framebuffer struct {
	rows  []*Row
	owner *rowOwner
	gens  *atomic.Uint64 // generation source shared by a framebuffer and its clones

	iconName, title string
	titleSet        bool
	clipboard       string
	bellCount       uint32

	ds drawState

	spare []*Row // scratch for rows leaving the screen, reused by fillRows

	// history, when set, receives the lines scrolling off the top of the
	// primary screen. It belongs to the live framebuffer only: a clone is
	// a snapshot of the screen and has none.
	history *History
}

// NewFramebuffer returns a blank framebuffer of width×height cells with the
// cursor at the top left. Sizes below 1 are raised to 1 (mosh asserts).
func NewFramebuffer(width, height int) *Framebuffer {
	width, height = max(width, 1), max(height, 1)
	f := &Framebuffer{
		owner: new(rowOwner),
		gens:  new(atomic.Uint64),
		ds:    newDrawState(width, height),
	}
	f.rows = make([]*Row, height)
	f.fillRows(f.rows, nil)
	return f
}

// fillRows replaces every entry of dst with a blank row in the current
// background colour. All of them get one new generation, as mosh inserts
// copies of a single new row. Rows in spare that f owns (the ones just
// pushed out of the screen) are recycled instead of allocated, so
// scrolling an unshared screen allocates nothing.
func (f *Framebuffer) fillRows(dst, spare []*Row) {
	if len(dst) == 0 {
		return
	}
	gen := f.gens.Add(1)
	blank := blankCell(f.ds.rend)
	width := f.ds.width
	var fresh []Row
	var cells []Cell
	for i := range dst {
		var r *Row
		for r == nil && len(spare) > 0 {
			if s := spare[0]; s.owner == f.owner && len(s.cells) == width {
				r = s
				fillCells(r.cells, blank)
			}
			spare = spare[1:]
		}
		if r == nil {
			if fresh == nil {
				// One allocation for all the rows still needed.
				n := len(dst) - i
				fresh, cells = make([]Row, n), make([]Cell, n*width)
				fillCells(cells, blank)
			}
			r = &fresh[0]
			r.cells, r.owner = cells[:width:width], f.owner
			fresh, cells = fresh[1:], cells[width:]
		}
		r.gen = gen
		dst[i] = r
	}
}

// Clone returns an independent copy. It costs one pointer copy per row: rows
// are shared until either side writes to them. Clone also marks f's rows as
// shared, so it counts as a write to f: do not Clone one framebuffer from
// two goroutines at once.
func (f *Framebuffer) Clone() *Framebuffer {
	c := *f
	c.rows = append([]*Row(nil), f.rows...)
	c.owner = new(rowOwner)
	f.owner = new(rowOwner) // rows now shared: both sides copy before writing
	c.ds.tabsOwned, f.ds.tabsOwned = false, false
	c.spare = nil
	c.history = nil
	return &c
}

// Equal reports whether f and o would look the same to a viewer: cells
// (not generations), cursor, modes the display transmits, window title and
// icon name, clipboard and bell count. Shared rows compare in O(1).
//
// This follows mosh's Framebuffer::operator==, except that mosh compares
// rows by identity and ignores the icon name; comparing contents makes the
// law emulate(a, display(a, b)) == b expressible.
func (f *Framebuffer) Equal(o *Framebuffer) bool {
	if f == o {
		return true
	}
	if !f.ds.equal(&o.ds) || f.title != o.title || f.iconName != o.iconName ||
		f.clipboard != o.clipboard || f.bellCount != o.bellCount || len(f.rows) != len(o.rows) {
		return false
	}
	for i, r := range f.rows {
		if !r.EqualCells(o.rows[i]) {
			return false
		}
	}
	return true
}

// Width returns the number of columns.
func (f *Framebuffer) Width() int { return f.ds.width }

// Height returns the number of rows.
func (f *Framebuffer) Height() int { return f.ds.height }

// Row returns row i (0 = top) as a read-only view. A row taken from a
// framebuffer that is still being written to may change with later writes;
// take rows from a clone for a stable view.
func (f *Framebuffer) Row(i int) *Row { return f.rows[i] }

// Cell returns the cell at row, col.
func (f *Framebuffer) Cell(row, col int) Cell { return f.rows[row].cells[col] }

// CursorRow returns the cursor's row (0-based, from the top of the screen).
func (f *Framebuffer) CursorRow() int { return f.ds.cursorRow }

// CursorCol returns the cursor's column (0-based).
func (f *Framebuffer) CursorCol() int { return f.ds.cursorCol }

// CursorVisible reports whether the cursor is shown (DECTCEM).
func (f *Framebuffer) CursorVisible() bool { return f.ds.cursorVisible }

// Rendition returns the rendition new characters are drawn with.
func (f *Framebuffer) Rendition() Rendition { return f.ds.rend }

// BackgroundRendition returns the rendition erased cells get: the current
// background colour only.
func (f *Framebuffer) BackgroundRendition() Rendition { return f.ds.rend.backgroundOnly() }

// Title returns the window title set by OSC 0 or 2.
func (f *Framebuffer) Title() string { return f.title }

// IconName returns the icon name set by OSC 0 or 1.
func (f *Framebuffer) IconName() string { return f.iconName }

// TitleSet reports whether an OSC 0, 1 or 2 was ever received.
func (f *Framebuffer) TitleSet() bool { return f.titleSet }

// Clipboard returns the data of the last OSC 52 write (still base64
// encoded). The emulator never stores anything but base64 here: an OSC 52
// query or other data is ignored (clipboard.go).
func (f *Framebuffer) Clipboard() string { return f.clipboard }

// Size bounds the bytes f holds: its cells, combining characters, rows,
// tab stops and strings. Each cell is counted with the most combining
// characters it can hold (maxCellBytes), so that a receiver can call it
// for every state without walking the cells (a client does, for each
// screen update); rows shared with clones are counted as f's own. Both make
// the sum over several framebuffers an overestimate of what they hold.
func (f *Framebuffer) Size() int {
	const (
		cellBytes = 32 + maxCellBytes // a Cell packs into 32 bytes (cell.go), plus its combining characters
		rowBytes  = 8 + 24 + 16       // the *Row in f.rows, and the Row
		fbBytes   = 512               // the Framebuffer and its drawState, roughly
	)
	n := fbBytes + len(f.ds.tabs) + len(f.title) + len(f.iconName) + len(f.clipboard)
	for _, r := range f.rows {
		n += rowBytes + cap(r.cells)*cellBytes
	}
	return n
}

// BellCount returns how many times BEL was received (it wraps at 2^32).
func (f *Framebuffer) BellCount() uint32 { return f.bellCount }

// ReverseVideo reports DECSCNM (DEC mode 5).
func (f *Framebuffer) ReverseVideo() bool { return f.ds.reverseVideo }

// ApplicationCursorKeys reports DECCKM (DEC mode 1).
func (f *Framebuffer) ApplicationCursorKeys() bool { return f.ds.appCursorKeys }

// BracketedPaste reports DEC mode 2004.
func (f *Framebuffer) BracketedPaste() bool { return f.ds.bracketedPaste }

// MouseReporting returns the mouse tracking mode.
func (f *Framebuffer) MouseReporting() MouseReporting { return f.ds.mouseReporting }

// MouseEncoding returns the mouse report encoding.
func (f *Framebuffer) MouseEncoding() MouseEncoding { return f.ds.mouseEncoding }

// FocusEvents reports DEC mode 1004.
func (f *Framebuffer) FocusEvents() bool { return f.ds.focusEvents }

// AlternateScroll reports DEC mode 1007.
func (f *Framebuffer) AlternateScroll() bool { return f.ds.altScroll }

// OriginMode reports DECOM (DEC mode 6).
func (f *Framebuffer) OriginMode() bool { return f.ds.originMode }

// AutoWrap reports DECAWM (DEC mode 7).
func (f *Framebuffer) AutoWrap() bool { return f.ds.autoWrap }

// InsertMode reports IRM (ANSI mode 4).
func (f *Framebuffer) InsertMode() bool { return f.ds.insertMode }

// NextPrintWillWrap reports the pending-wrap state: the cursor sits on the
// last column after printing there, and the next character goes to the
// next line.
func (f *Framebuffer) NextPrintWillWrap() bool { return f.ds.nextPrintWillWrap }

// ScrollingRegion returns the top and bottom rows (inclusive, 0-based) of
// the scrolling region (DECSTBM).
func (f *Framebuffer) ScrollingRegion() (top, bottom int) { return f.ds.scrollTop, f.ds.scrollBottom }

// TabStop reports whether col is a tab stop.
func (f *Framebuffer) TabStop(col int) bool { return f.ds.tabs[col] }

// mutableRow returns row i, copying it first unless f owns it exclusively.
// The copy keeps the generation, as mosh's copy of a shared row does.
func (f *Framebuffer) mutableRow(i int) *Row {
	r := f.rows[i]
	if r.owner != f.owner {
		r = &Row{cells: append([]Cell(nil), r.cells...), gen: r.gen, owner: f.owner}
		f.rows[i] = r
	}
	return r
}

// SetCell replaces the cell at row, col. It is meant for overlays drawing
// on a clone; it does not touch the neighbouring cells of wide characters.
func (f *Framebuffer) SetCell(row, col int, c Cell) {
	f.mutableRow(row).cells[col] = c
}

// SetCursor moves the cursor to row, col, clamped to the screen, without
// any of the emulator's side effects. It is meant for overlays.
func (f *Framebuffer) SetCursor(row, col int) {
	f.ds.cursorRow = min(max(row, 0), f.ds.height-1)
	f.ds.cursorCol = min(max(col, 0), f.ds.width-1)
}

// SetCursorVisible shows or hides the cursor. It is meant for overlays.
func (f *Framebuffer) SetCursorVisible(v bool) { f.ds.cursorVisible = v }

// SetTitle sets the window title and icon name, as an OSC 1 and 2 would.
// The client uses it to add its "[mosh] " prefix.
func (f *Framebuffer) SetTitle(iconName, title string) {
	f.iconName, f.title, f.titleSet = iconName, title, true
}

// resetCell erases a cell with the current background colour.
func (f *Framebuffer) resetCell(row, col int) {
	f.mutableRow(row).cells[col] = blankCell(f.ds.rend)
}

// resetRow erases a whole row and gives it a new generation.
func (f *Framebuffer) resetRow(i int) {
	r := f.mutableRow(i)
	r.gen = f.gens.Add(1)
	fillCells(r.cells, blankCell(f.ds.rend))
}

// clearCells erases columns start..end (inclusive) of a row.
func (f *Framebuffer) clearCells(row, start, end int) {
	if start > end {
		return
	}
	fillCells(f.mutableRow(row).cells[start:end+1], blankCell(f.ds.rend))
}

// insertCells shifts the cells from col right by n, dropping those pushed
// past the margin, and fills the gap with blanks. Like mosh it knows
// nothing of wide characters, and the row's wrap flag leaves with its last
// cell.
func (f *Framebuffer) insertCells(row, col, n int) {
	cells := f.mutableRow(row).cells
	n = min(n, len(cells)-col)
	if n <= 0 {
		return
	}
	copy(cells[col+n:], cells[col:])
	fillCells(cells[col:col+n], blankCell(f.ds.rend))
}

// deleteCells removes n cells at col, shifting the rest left and filling
// the right end with blanks.
func (f *Framebuffer) deleteCells(row, col, n int) {
	cells := f.mutableRow(row).cells
	n = min(n, len(cells)-col)
	if n <= 0 {
		return
	}
	copy(cells[col:], cells[col+n:])
	fillCells(cells[len(cells)-n:], blankCell(f.ds.rend))
}

// insertLines inserts count blank lines before row inside the scrolling
// region, dropping lines pushed past its bottom (Framebuffer::insert_line).
func (f *Framebuffer) insertLines(before, count int) {
	top, bottom := f.ds.scrollTop, f.ds.scrollBottom
	if before < top || before > bottom+1 {
		return
	}
	n := min(count, bottom+1-before)
	if n <= 0 {
		return
	}
	f.spare = append(f.spare[:0], f.rows[bottom+1-n:bottom+1]...)
	copy(f.rows[before+n:bottom+1], f.rows[before:bottom+1-n])
	f.fillRows(f.rows[before:before+n], f.spare)
	clear(f.spare)
}

// deleteLines deletes count lines at row inside the scrolling region; blank
// lines enter at its bottom (Framebuffer::delete_line).
func (f *Framebuffer) deleteLines(row, count int) {
	top, bottom := f.ds.scrollTop, f.ds.scrollBottom
	if row < top || row > bottom {
		return
	}
	n := min(count, bottom+1-row)
	if n <= 0 {
		return
	}
	f.spare = append(f.spare[:0], f.rows[row:row+n]...)
	copy(f.rows[row:bottom+1-n], f.rows[row+n:bottom+1])
	f.fillRows(f.rows[bottom+1-n:bottom+1], f.spare)
	clear(f.spare)
}

// scroll scrolls the scrolling region up by n lines (down when n < 0).
func (f *Framebuffer) scroll(n int) {
	if n >= 0 {
		f.deleteLines(f.ds.scrollTop, n)
	} else {
		f.insertLines(f.ds.scrollTop, -n)
	}
}

// moveRowsAutoscroll moves the cursor down n rows (up when n < 0),
// scrolling the region when the cursor would leave it
// (Framebuffer::move_rows_autoscroll).
func (f *Framebuffer) moveRowsAutoscroll(n int) {
	ds := &f.ds
	if ds.cursorRow < ds.scrollTop || ds.cursorRow > ds.scrollBottom {
		ds.moveRow(n, true)
		return
	}
	if ds.cursorRow+n > ds.scrollBottom {
		k := ds.cursorRow + n - ds.scrollBottom
		f.scrollUpHistory(k)
		ds.moveRow(-k, true)
	} else if ds.cursorRow+n < ds.scrollTop {
		k := ds.cursorRow + n - ds.scrollTop
		f.scroll(k)
		ds.moveRow(-k, true)
	}
	ds.moveRow(n, true)
}

// reset is RIS: everything but the bell count, the icon name and whether a
// title was ever set goes back to its initial state (Framebuffer::reset).
func (f *Framebuffer) reset() {
	f.ds = newDrawState(f.ds.width, f.ds.height)
	f.spare = append(f.spare[:0], f.rows...)
	f.fillRows(f.rows, f.spare)
	clear(f.spare)
	f.title = ""
	f.clipboard = ""
	if f.history != nil {
		// RIS leaves the alternate screen for a blank primary one, as in
		// xterm.
		f.history.alt, f.history.primary = false, nil
	}
}

// softReset is DECSTR (Framebuffer::soft_reset).
func (f *Framebuffer) softReset() {
	ds := &f.ds
	ds.insertMode = false
	ds.originMode = false
	ds.cursorVisible = true
	ds.appCursorKeys = false
	ds.setScrollingRegion(0, ds.height-1)
	ds.rend = Rendition{}
	ds.save = defaultSavedCursor()
}

// Resize changes the screen size with mosh's semantics
// (Framebuffer::resize): rows are added or removed at the bottom, each row
// is cut or padded on the right and loses its wrap flag when the width
// changes, the scrolling region is reset and the cursor is clamped. Sizes
// below 1 are raised to 1.
func (f *Framebuffer) Resize(width, height int) {
	width, height = max(width, 1), max(height, 1)
	oldHeight, oldWidth := f.ds.height, f.ds.width
	f.ds.resize(width, height)
	kept := len(f.rows)
	if oldHeight != height {
		if height < len(f.rows) {
			clear(f.rows[height:])
			f.rows = f.rows[:height]
		} else {
			f.rows = append(f.rows, make([]*Row, height-len(f.rows))...)
			f.fillRows(f.rows[oldHeight:], nil)
		}
		kept = min(oldHeight, height)
	}
	if oldWidth == width {
		return
	}
	blank := blankCell(f.ds.rend)
	for i := 0; i < kept; i++ {
		f.rows[i] = f.resizedRow(f.rows[i], width, blank)
	}
}

// resizedRow is a copy of old, width cells wide, owned by f: cut on the
// right, or padded with blank (Row::reset's cells, mosh's resize).
func (f *Framebuffer) resizedRow(old *Row, width int, blank Cell) *Row {
	r := &Row{cells: make([]Cell, width), gen: old.gen, owner: f.owner}
	n := copy(r.cells, old.cells)
	fillCells(r.cells[n:], blank)
	if width > len(old.cells) {
		// mosh clears the flag on the old last cell, then pads; when
		// the row shrinks, that cell is cut off instead.
		r.cells[n-1].setFlag(cellWrap, false)
	}
	return r
}
