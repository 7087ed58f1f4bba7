package overlay

import "github.com/ssh-mosh/ssh-mosh/term"

// draw paints the shown predictions onto fb (PredictionEngine::apply): every
// confirmed cursor move in order, so the newest wins, then every confirmed
// cell, underlined when flagging.
func (p *Prediction) draw(fb *term.Framebuffer) {
	if !p.shown() {
		return
	}
	for i := range p.cursors {
		p.cursors[i].draw(fb, p.confirmedEpoch)
	}
	for i := range p.rows {
		r := &p.rows[i]
		for j := range r.cells {
			r.cells[j].draw(fb, r.row, j, p.confirmedEpoch, p.flagging)
		}
	}
}

func (c *cursorMove) draw(fb *term.Framebuffer, confirmedEpoch uint64) {
	if !c.active || c.tentative(confirmedEpoch) {
		return
	}
	// cull drops off-screen cursor moves before every draw; this guard is for
	// a framebuffer that was never culled.
	if c.row < 0 || c.row >= fb.Height() || c.col < 0 || c.col >= fb.Width() {
		return
	}
	fb.SetCursor(c.row, c.col)
}

// draw is ConditionalOverlayCell::apply for the cell in column col of row.
func (c *cellPrediction) draw(fb *term.Framebuffer, row, col int, confirmedEpoch uint64, flag bool) {
	if !c.active || row < 0 || row >= fb.Height() || col >= fb.Width() {
		return
	}
	if c.tentative(confirmedEpoch) {
		return
	}
	current := fb.Cell(row, col)
	// Underlining a blank over a blank would only draw a stray line.
	if c.replacement.IsBlank() && current.IsBlank() {
		flag = false
	}
	if c.unknown {
		// As in mosh, the last column is left alone: every insert makes it
		// unknown, so underlining it would mark the margin at each key.
		if flag && col != fb.Width()-1 {
			fb.SetCell(row, col, underlined(current))
		}
		return
	}
	if current != c.replacement {
		if flag {
			fb.SetCell(row, col, underlined(c.replacement))
		} else {
			fb.SetCell(row, col, c.replacement)
		}
	}
}

func underlined(c term.Cell) term.Cell {
	r := c.Rendition()
	r.Attrs |= term.AttrUnderline
	return c.WithRendition(r)
}
