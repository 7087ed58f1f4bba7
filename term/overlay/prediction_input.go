package overlay

import (
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

// NewUserByte predicts the effect of one typed byte (before the escape-key
// filter, as mosh does). fb is what the terminal shows now, predictions
// included: guesses build on guesses. Bytes go through a UTF-8 decoder and
// the VT parser, as the server's terminal would see them; what comes out is
// predicted if it is a narrow printable character, backspace (DEL), CR, or a
// cursor left/right, and otherwise makes later guesses tentative.
func (p *Prediction) NewUserByte(b byte, fb *term.Framebuffer, now time.Time) {
	if p.pref == Never {
		return
	}
	if p.pref == Experimental {
		p.predictionEpoch = p.confirmedEpoch
	}
	p.cull(fb, now)

	// The client keeps the terminal in application cursor-key mode, so arrows
	// arrive as ESC O C; parse them as the ANSI ESC [ C they mean.
	if p.lastByte == 0x1b && b == 'O' {
		b = '['
	}
	p.lastByte = b

	p.input.fb, p.input.now = fb, now
	p.input.buf[0] = b
	p.parser.Parse(p.input.buf[:], &p.input)
	p.input.fb = nil
}

// inputActions receives what the parser makes of typed bytes; it lives inside
// the Prediction so that parsing a byte allocates nothing.
type inputActions struct {
	p   *Prediction
	fb  *term.Framebuffer
	now time.Time
	buf [1]byte
}

var _ term.Handler = (*inputActions)(nil)

func (h *inputActions) Print(r rune) { h.p.predictPrint(r, h.fb, h.now) }

func (h *inputActions) Execute(r rune) {
	h.p.becomeTentative()
	if r == '\r' {
		h.p.newlineCarriageReturn(h.fb, h.now)
	}
}

func (h *inputActions) EscDispatch([]byte, rune) { h.p.becomeTentative() }

func (h *inputActions) CSIDispatch(_ *term.Params, _ []byte, final rune) {
	p, fb, now := h.p, h.fb, h.now
	switch final {
	case 'C': // cursor right
		p.initCursor(fb)
		if c := p.cursor(); c.col < fb.Width()-1 {
			c.col++
			c.expire(p.localFrameSent+1, now)
		}
	case 'D': // cursor left
		p.initCursor(fb)
		if c := p.cursor(); c.col > 0 {
			c.col--
			c.expire(p.localFrameSent+1, now)
		}
	default:
		p.becomeTentative()
	}
}

// OSCDispatch: mosh ignores a typed OSC.
func (h *inputActions) OSCDispatch([]rune) {}

// cursor is the newest cursor prediction; initCursor guarantees one.
func (p *Prediction) cursor() *cursorMove { return &p.cursors[len(p.cursors)-1] }

// initCursor makes sure the newest cursor prediction belongs to the current
// epoch: the first one starts where fb shows the cursor, a later epoch's
// continues where the previous prediction left it.
func (p *Prediction) initCursor(fb *term.Framebuffer) {
	if len(p.cursors) == 0 {
		p.pushCursor(fb.CursorRow(), fb.CursorCol())
	} else if c := p.cursor(); c.tentativeUntil != p.predictionEpoch {
		p.pushCursor(c.row, c.col)
	}
}

// row returns the predictions for screen row n, making a row of inactive
// cells (of the current epoch) the first time.
func (p *Prediction) row(n, width int) *predictedRow {
	for i := range p.rows {
		if p.rows[i].row == n {
			return &p.rows[i]
		}
	}
	cells := make([]cellPrediction, width)
	for i := range cells {
		cells[i].tentativeUntil = p.predictionEpoch
	}
	p.rows = append(p.rows, predictedRow{row: n, cells: cells})
	return &p.rows[len(p.rows)-1]
}

// arm turns c into a fresh prediction of the current epoch, remembering what
// it guessed before.
func (p *Prediction) arm(c *cellPrediction, now time.Time) {
	c.resetWithOrig()
	c.active = true
	c.tentativeUntil = p.predictionEpoch
	c.expire(p.localFrameSent+1, now)
}

// cursorOnScreen reports whether the newest cursor prediction lies inside
// fb. cull drops any that does not before input is predicted, so this only
// protects against a row made for a different width.
func (p *Prediction) cursorOnScreen(fb *term.Framebuffer, r *predictedRow) bool {
	c := p.cursor()
	return c.row >= 0 && c.row < fb.Height() && c.col >= 0 && c.col < fb.Width() && len(r.cells) == fb.Width()
}

func (p *Prediction) predictPrint(ch rune, fb *term.Framebuffer, now time.Time) {
	p.initCursor(fb)
	switch {
	case ch == 0x7f:
		p.predictBackspace(fb, now)
	case ch < 0x20 || term.Width(ch) != 1:
		// Wide, combining and unprintable characters: too hard to guess.
		p.becomeTentative()
	default:
		p.predictChar(ch, fb, now)
	}
}

// predictBackspace moves the cursor left and, unless overwriting, shifts the
// rest of the row left after it.
func (p *Prediction) predictBackspace(fb *term.Framebuffer, now time.Time) {
	cur := p.cursor()
	r := p.row(cur.row, fb.Width())
	if !p.cursorOnScreen(fb, r) || cur.col <= 0 {
		return
	}
	cur.col--
	cur.expire(p.localFrameSent+1, now)

	if p.overwrite {
		c := &r.cells[cur.col]
		p.arm(c, now)
		// mosh takes the cell under the terminal's cursor, which is the
		// predicted one whenever predictions are being shown.
		orig := fb.Cell(fb.CursorRow(), fb.CursorCol())
		c.remember(orig)
		c.replacement = term.NewCell(" ", false, orig.Rendition())
		return
	}
	w := fb.Width()
	for i := cur.col; i < w; i++ {
		c := &r.cells[i]
		p.arm(c, now)
		c.remember(fb.Cell(cur.row, i))
		// mosh stops pulling cells in two columns early (i+2 < width): the
		// last two columns become unknown.
		if i+2 >= w {
			c.unknown = true
			continue
		}
		next := &r.cells[i+1]
		switch {
		case !next.active:
			c.unknown = false
			c.replacement = fb.Cell(cur.row, i+1)
		case next.unknown:
			c.unknown = true
		default:
			c.unknown = false
			c.replacement = next.replacement
		}
	}
}

// predictChar inserts (or overwrites with) a narrow printable character at
// the predicted cursor and advances it, wrapping to the next line at the
// right margin.
func (p *Prediction) predictChar(ch rune, fb *term.Framebuffer, now time.Time) {
	cur := p.cursor()
	r := p.row(cur.row, fb.Width())
	if !p.cursorOnScreen(fb, r) {
		return
	}
	w := fb.Width()
	if cur.col+1 >= w {
		// The last column is tricky: emacs shows a wrap mark there, a shell
		// just the character.
		p.becomeTentative()
	}

	// Shift the rest of the row right; the cell pushed into the last column
	// is unknown.
	rightmost := w - 1
	if p.overwrite {
		rightmost = cur.col
	}
	for i := rightmost; i > cur.col; i-- {
		c := &r.cells[i]
		p.arm(c, now)
		c.remember(fb.Cell(cur.row, i))
		prev := &r.cells[i-1]
		switch {
		case i == w-1:
			c.unknown = true
		case !prev.active:
			c.unknown = false
			c.replacement = fb.Cell(cur.row, i-1)
		case prev.unknown:
			c.unknown = true
		default:
			c.unknown = false
			c.replacement = prev.replacement
		}
	}

	c := &r.cells[cur.col]
	p.arm(c, now)
	// Guess the rendition of the character to the left (a coloured prompt
	// ends before the typed text, a coloured word continues).
	rend := fb.Rendition()
	if cur.col > 0 {
		if prev := &r.cells[cur.col-1]; prev.active && !prev.unknown {
			rend = prev.replacement.Rendition()
		} else {
			rend = fb.Cell(cur.row, cur.col-1).Rendition()
		}
	}
	c.replacement = term.NewCell(string(ch), false, rend)
	c.remember(fb.Cell(cur.row, cur.col))

	cur.expire(p.localFrameSent+1, now)
	if cur.col < w-1 {
		cur.col++
		return
	}
	p.becomeTentative()
	p.newlineCarriageReturn(fb, now)
}

// newlineCarriageReturn predicts the cursor at the start of the next line.
// On the last row that would scroll, which is not predicted; the row is
// predicted blank instead.
func (p *Prediction) newlineCarriageReturn(fb *term.Framebuffer, now time.Time) {
	p.initCursor(fb)
	cur := p.cursor()
	cur.col = 0
	if cur.row != fb.Height()-1 {
		cur.row++
		return
	}
	r := p.row(cur.row, fb.Width())
	for i := range r.cells {
		c := &r.cells[i]
		c.active = true
		c.tentativeUntil = p.predictionEpoch
		c.expire(p.localFrameSent+1, now)
		c.replacement = term.NewCell("", false, c.replacement.Rendition())
	}
}
