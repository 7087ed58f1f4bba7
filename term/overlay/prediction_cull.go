package overlay

import (
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

// validity is the verdict on one prediction against the server's screen.
type validity int

const (
	pending            validity = iota // the server has not echoed it yet
	correct                            // the echo shows it, and it changed something
	correctNoCredit                    // shows it, but it was blank, unknown or unchanged
	incorrectOrExpired                 // the echo shows something else
	inactive                           // no prediction here
)

func (c *cellPrediction) validity(fb *term.Framebuffer, row, col int, lateAck uint64) validity {
	if !c.active {
		return inactive
	}
	if row >= fb.Height() || col >= fb.Width() {
		return incorrectOrExpired
	}
	if lateAck < c.expirationFrame {
		return pending
	}
	// A blank guess is too easily right by accident to confirm an epoch.
	if c.unknown || c.replacement.IsBlank() {
		return correctNoCredit
	}
	if !fb.Cell(row, col).ContentsMatch(c.replacement) {
		return incorrectOrExpired
	}
	for _, o := range c.original {
		if o.ContentsMatch(c.replacement) {
			return correctNoCredit
		}
	}
	return correct
}

func (c *cursorMove) validity(fb *term.Framebuffer, lateAck uint64) validity {
	if !c.active {
		return inactive
	}
	if c.row < 0 || c.row >= fb.Height() || c.col < 0 || c.col >= fb.Width() {
		return incorrectOrExpired
	}
	if lateAck < c.expirationFrame {
		return pending
	}
	if fb.CursorRow() == c.row && fb.CursorCol() == c.col {
		return correct
	}
	return incorrectOrExpired
}

// cull (PredictionEngine::cull) updates the display triggers and judges every
// prediction against fb: settled ones are retired, a wrong tentative one
// kills its epoch, a wrong confirmed one (shown to the user!) resets
// everything, so that nothing the server did not echo stays on screen.
func (p *Prediction) cull(fb *term.Framebuffer, now time.Time) {
	if p.pref == Never {
		return
	}
	if p.lastW != fb.Width() || p.lastH != fb.Height() {
		p.lastW, p.lastH = fb.Width(), fb.Height()
		p.Reset()
	}
	p.updateTriggers()

	for i := 0; i < len(p.rows); {
		r := &p.rows[i]
		if r.row < 0 || r.row >= fb.Height() {
			p.rows = append(p.rows[:i], p.rows[i+1:]...)
			continue
		}
		for j := range r.cells {
			if !p.cullCell(fb, r, j, now) {
				return // everything was reset
			}
		}
		i++
	}

	if n := len(p.cursors); n > 0 && p.cursors[n-1].validity(fb, p.localFrameLateAcked) == incorrectOrExpired {
		if p.pref != Experimental {
			p.Reset()
			return
		}
		p.cursors = p.cursors[:0]
	}
	// Cursor moves the echo has settled, right or wrong, are of no more use.
	kept := p.cursors[:0]
	for _, c := range p.cursors {
		if c.validity(fb, p.localFrameLateAcked) == pending {
			kept = append(kept, c)
		}
	}
	p.cursors = kept
}

// updateTriggers applies the send-interval hysteresis for showing and for
// underlining predictions.
func (p *Prediction) updateTriggers() {
	if p.sendInterval > srttTriggerHigh {
		p.srttTrigger = true
	} else if p.srttTrigger && p.sendInterval <= srttTriggerLow && !p.Active() {
		// Only once nothing is shown, so predictions do not vanish mid-word.
		p.srttTrigger = false
	}
	if p.sendInterval > flagTriggerHigh {
		p.flagging = true
	} else if p.sendInterval <= flagTriggerLow {
		p.flagging = false
	}
	// A really long glitch underlines too.
	if p.glitchTrigger > glitchRepairCount {
		p.flagging = true
	}
}

// cullCell judges cell j of r; it reports false when it reset the engine and
// the caller must stop looking at rows.
func (p *Prediction) cullCell(fb *term.Framebuffer, r *predictedRow, j int, now time.Time) bool {
	c := &r.cells[j]
	switch c.validity(fb, r.row, j, p.localFrameLateAcked) {
	case incorrectOrExpired:
		switch {
		case p.pref == Experimental:
			c.reset()
		case c.tentative(p.confirmedEpoch):
			// Never shown: just give up on this line of guesses.
			p.killEpoch(c.tentativeUntil, fb)
		default:
			p.Reset()
			return false
		}
	case correct:
		if c.tentativeUntil > p.confirmedEpoch {
			p.confirmedEpoch = c.tentativeUntil
		}
		// Quick confirmations slowly take the glitch trigger away.
		if now.Sub(c.predictedAt) < glitchThreshold && p.glitchTrigger > 0 &&
			(p.lastQuickCheck.IsZero() || now.Sub(p.lastQuickCheck) >= glitchRepairMinInterval) {
			p.glitchTrigger--
			p.lastQuickCheck = now
		}
		// The rest of the row takes the rendition the server actually used.
		rend := fb.Cell(r.row, j).Rendition()
		for k := j; k < len(r.cells); k++ {
			r.cells[k].replacement = r.cells[k].replacement.WithRendition(rend)
		}
		c.reset()
	case correctNoCredit:
		c.reset()
	case pending:
		// A long-pending prediction shows predictions even on a fast link.
		age := now.Sub(c.predictedAt)
		if age >= glitchFlagThreshold {
			p.glitchTrigger = 2 * glitchRepairCount // show and underline
		} else if age >= glitchThreshold && p.glitchTrigger < glitchRepairCount {
			p.glitchTrigger = glitchRepairCount // just show
		}
	}
	return true
}

// killEpoch (PredictionEngine::kill_epoch) drops every prediction of epoch
// and later ones, restarts the cursor prediction where fb has the cursor, and
// opens a new epoch.
func (p *Prediction) killEpoch(epoch uint64, fb *term.Framebuffer) {
	kept := p.cursors[:0]
	for _, c := range p.cursors {
		if !c.tentative(epoch - 1) {
			kept = append(kept, c)
		}
	}
	p.cursors = kept
	p.pushCursor(fb.CursorRow(), fb.CursorCol())
	for i := range p.rows {
		for j := range p.rows[i].cells {
			if c := &p.rows[i].cells[j]; c.tentative(epoch - 1) {
				c.reset()
			}
		}
	}
	p.becomeTentative()
}

// pushCursor starts a cursor prediction at row, col in the current epoch,
// settled by the frame after the newest one sent.
func (p *Prediction) pushCursor(row, col int) {
	p.cursors = append(p.cursors, cursorMove{
		conditional: conditional{
			expirationFrame: p.localFrameSent + 1,
			tentativeUntil:  p.predictionEpoch,
			active:          true,
		},
		row: row, col: col,
	})
}
