package term

// Emulator is a terminal emulator with mosh 1.4's exact behaviour: bytes
// written to it are parsed and applied to its framebuffer. The server runs
// one on the application's output; the client runs one on the server's
// diff strings to keep its replica of the screen.
//
// An Emulator is not safe for concurrent use; clone its framebuffer to
// hand a snapshot to another goroutine.
type Emulator struct {
	fb      *Framebuffer
	parser  Parser
	answers []byte // replies to queries, for the application (mosh's terminal_to_host)
	keys    UserInput
}

// NewEmulator returns an emulator with a blank width×height screen.
func NewEmulator(width, height int) *Emulator {
	return &Emulator{fb: NewFramebuffer(width, height)}
}

// Framebuffer returns the live framebuffer. It changes with every Write;
// use Clone for a snapshot.
func (e *Emulator) Framebuffer() *Framebuffer { return e.fb }

// Write parses p and applies it to the framebuffer. It never fails; the
// signature lets an Emulator be an io.Writer.
func (e *Emulator) Write(p []byte) (int, error) {
	a := (*actions)(e)
	e.parser.parse(p, a, a)
	return len(p), nil
}

// Resize changes the screen size (mosh's Framebuffer::resize).
func (e *Emulator) Resize(width, height int) { e.fb.Resize(width, height) }

// TakeAnswers returns the replies to terminal queries (DA, DA2, DSR, CPR)
// produced since the last call, and forgets them. The server writes them
// back to the application; a client replica must never produce any.
func (e *Emulator) TakeAnswers() []byte {
	a := e.answers
	e.answers = nil
	return a
}

// TranslateKeys rewrites keystrokes for the application as mosh's server
// does (see UserInput), using the live DECCKM state. State carries across
// calls, so an ESC O split between two calls is still recognised.
func (e *Emulator) TranslateKeys(keys []byte) []byte {
	return e.keys.Translate(nil, keys, e.fb.ds.appCursorKeys)
}

// actions is the Emulator seen as the parser's Handler; a distinct type
// keeps the handler methods out of Emulator's API.
type actions Emulator

var (
	_ Handler      = (*actions)(nil)
	_ ASCIIPrinter = (*actions)(nil)
)

// charWidth is the number of columns mosh gives a printed character
// (Emulator::print): printable ISO 8859-1 is always 1 (a cheap shortcut
// that agrees with glibc), NUL is -1, everything else is wcwidth.
func charWidth(r rune) int {
	if (r >= 0x20 && r <= 0x7e) || (r >= 0xa0 && r <= 0xff) {
		return 1
	}
	if r == 0 {
		return -1
	}
	return Width(r)
}

// Print draws one character (Emulator::print).
func (a *actions) Print(r rune) {
	fb := a.fb
	ds := &fb.ds
	w := charWidth(r)
	switch w {
	case 1, 2:
		if ds.autoWrap && ds.nextPrintWillWrap {
			fb.mutableRow(ds.cursorRow).cells[ds.width-1].setFlag(cellWrap, true)
			ds.moveCol(0, false, false)
			fb.moveRowsAutoscroll(1)
		} else if ds.autoWrap && w == 2 && ds.cursorCol == ds.width-1 {
			// A wide character that does not fit goes to the next line,
			// even without a pending wrap; the row is not marked as
			// wrapped.
			fb.resetCell(ds.cursorRow, ds.cursorCol)
			fb.mutableRow(ds.cursorRow).cells[ds.width-1].setFlag(cellWrap, false)
			ds.moveCol(0, false, false)
			fb.moveRowsAutoscroll(1)
		}
		if ds.insertMode {
			fb.insertCells(ds.cursorRow, ds.cursorCol, w)
		}
		c := newCellOf(r, ds.rend)
		if w == 2 {
			c.flags = cellWide
		}
		row := fb.mutableRow(ds.cursorRow)
		row.cells[ds.cursorCol] = c
		if w == 2 && ds.cursorCol+1 < ds.width {
			row.cells[ds.cursorCol+1] = blankCell(ds.rend) // the continuation
		}
		ds.moveCol(w, true, true)
	case 0:
		// A combining character joins the cell printed last.
		if ds.combCol < 0 || ds.combRow < 0 || ds.combCol >= ds.width || ds.combRow >= ds.height {
			return // that cell went away in a resize
		}
		c := &fb.mutableRow(ds.combRow).cells[ds.combCol]
		if c.Empty() {
			// Nothing to combine with (e.g. erased meanwhile): the mark
			// gets a cell of its own, drawn after a no-break space.
			c.setFlag(cellFallback, true)
			ds.moveCol(1, true, true)
		}
		if c.contentLen() < maxCellBytes {
			c.appendChar(r)
		}
	}
}

// PrintASCII draws a run of printable ASCII; the result equals one Print
// per byte, but a row is fetched once per run instead of once per byte.
func (a *actions) PrintASCII(text []byte) {
	fb := a.fb
	ds := &fb.ds
	for len(text) > 0 {
		if ds.insertMode || ds.cursorRow < ds.limitTop() || ds.cursorRow > ds.limitBottom() {
			// Rare cases with side effects per character: take the slow path.
			a.Print(rune(text[0]))
			text = text[1:]
			continue
		}
		if ds.nextPrintWillWrap && ds.autoWrap {
			fb.mutableRow(ds.cursorRow).cells[ds.width-1].setFlag(cellWrap, true)
			ds.moveCol(0, false, false)
			fb.moveRowsAutoscroll(1)
			continue // the new row may be outside the limits
		}
		col := ds.cursorCol
		n := min(len(text), ds.width-col)
		cells := fb.mutableRow(ds.cursorRow).cells[col : col+n]
		rend := ds.rend
		for k, b := range text[:n] {
			cells[k] = newCellOf(rune(b), rend)
		}
		text = text[n:]
		// The per-character cursor moves collapse into the last one.
		ds.cursorCol = col + n - 1
		ds.moveCol(1, true, true)
	}
}

// Execute performs a C0 or C1 control (Emulator::execute).
func (a *actions) Execute(r rune) {
	fb := a.fb
	ds := &fb.ds
	if r == 0x09 { // HT keeps the pending wrap
		htN(fb, 1)
		return
	}
	ds.nextPrintWillWrap = false // every other control clears it, known or not
	switch r {
	case 0x07: // BEL
		fb.bellCount++
	case 0x08: // BS
		ds.moveCol(-1, true, false)
	case 0x0a, 0x0b, 0x0c, 0x84: // LF, VT, FF, IND
		fb.moveRowsAutoscroll(1)
	case 0x0d: // CR
		ds.moveCol(0, false, false)
	case 0x85: // NEL
		ds.moveCol(0, false, false)
		fb.moveRowsAutoscroll(1)
	case 0x88: // HTS
		ds.setTab()
	case 0x8d: // RI
		fb.moveRowsAutoscroll(-1)
	}
}

// htN moves to the count-th tab stop to the right (left when count < 0),
// or to the last column when there is none (mosh's HT_n). It starts a new
// grapheme but keeps the pending wrap.
func htN(fb *Framebuffer, count int) {
	ds := &fb.ds
	col := ds.nextTab(count)
	if col == -1 {
		col = ds.width - 1
	}
	wrap := ds.nextPrintWillWrap
	ds.moveCol(col, false, false)
	ds.nextPrintWillWrap = wrap
}

// EscDispatch performs an escape sequence (Emulator::Esc_dispatch).
func (a *actions) EscDispatch(inter []byte, final rune) {
	if len(inter) == 0 && final >= 0x40 && final <= 0x5f {
		// ESC Fe is the 7-bit form of the C1 control final+0x40. Only
		// IND, NEL, HTS and RI do something; all clear the pending wrap.
		a.Execute(final + 0x40)
		return
	}
	fb := a.fb
	fb.ds.nextPrintWillWrap = false
	switch {
	case len(inter) == 0 && final == '7': // DECSC
		fb.ds.saveCursor()
	case len(inter) == 0 && final == '8': // DECRC
		fb.ds.restoreCursor()
	case len(inter) == 0 && final == 'c': // RIS
		fb.reset()
	case len(inter) == 1 && inter[0] == '#' && final == '8': // DECALN
		fill := blankCell(fb.ds.rend)
		fill.base = 'E'
		for y := range fb.rows {
			cells := fb.mutableRow(y).cells
			for x := range cells {
				cells[x] = fill
			}
		}
	}
}

// OSCDispatch sets the window title, icon name or clipboard
// (Dispatcher::OSC_dispatch).
func (a *actions) OSCDispatch(data []rune) {
	fb := a.fb
	if len(data) >= 5 && data[0] == '5' && data[1] == '2' && data[2] == ';' && data[3] == 'c' && data[4] == ';' {
		// Unlike mosh, only a write of base64 is kept: a query would
		// reach the user's terminal and could be answered with the
		// local clipboard (clipboard.go).
		if validClipboard(data[5:]) {
			fb.clipboard = string(data[5:])
		}
		return
	}
	if len(data) == 0 {
		return
	}
	cmd, offset := -1, 0
	if data[0] == ';' {
		cmd, offset = 0, 1 // "ESC ] ; title" counts as OSC 0
	} else if len(data) >= 2 && data[1] == ';' {
		cmd, offset = int(data[0]-'0'), 2
	}
	setIcon, setTitle := cmd == 0 || cmd == 1, cmd == 0 || cmd == 2
	if !setIcon && !setTitle {
		return
	}
	fb.titleSet = true
	// The string is cut at 256 code points counting the "N;" prefix.
	s := string(data[offset:min(len(data), 256)])
	if setIcon {
		fb.iconName = s
	}
	if setTitle {
		fb.title = s
	}
}
