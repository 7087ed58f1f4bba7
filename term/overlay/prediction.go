package overlay

import (
	"fmt"
	"math"
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

// This file holds the prediction engine's state and its small public surface;
// prediction_cull.go judges predictions against the server's screen,
// prediction_input.go makes them from typed bytes, prediction_draw.go shows
// them. Together they are mosh 1.4's PredictionEngine
// (src/frontend/terminaloverlay.{h,cc}), rule for rule and with its constants,
// with time passed in instead of read from a global clock.
//
// Deliberate differences from mosh, none visible on a well-formed screen:
//   - mosh builds a typed character's cell by clearing the contents of
//     whatever cell object was last stored at that position and appending the
//     character, so a stale wide or wrap flag can survive into the prediction
//     and a narrow character be drawn as wide. Here a typed character (and the
//     blank of a predicted new line, and the space of an overwrite backspace)
//     is always a fresh narrow cell that keeps only the rendition mosh keeps.
//   - mosh asserts that a shown cursor prediction lies on the screen; here one
//     that does not is skipped, so no input can make Apply draw off screen.

// Mosh's thresholds (PredictionEngine in terminaloverlay.h). The SRTT and
// FLAG triggers compare the transport's send interval, the GLITCH ones the age
// of a pending prediction.
const (
	// srttTriggerHigh: a send interval above it turns on predictions (adaptive).
	srttTriggerHigh = 30 * time.Millisecond
	// srttTriggerLow: at or below it, and with nothing predicted, they turn off.
	srttTriggerLow = 20 * time.Millisecond
	// flagTriggerHigh: a send interval above it underlines predictions.
	flagTriggerHigh = 80 * time.Millisecond
	// flagTriggerLow: at or below it underlining stops.
	flagTriggerLow = 50 * time.Millisecond
	// glitchThreshold: a prediction pending this long shows predictions even
	// on a fast link.
	glitchThreshold = 250 * time.Millisecond
	// glitchFlagThreshold: a prediction pending this long also underlines.
	glitchFlagThreshold = 5000 * time.Millisecond
	// glitchRepairCount quick confirmations cure the glitch trigger.
	glitchRepairCount = 10
	// glitchRepairMinInterval separates two confirmations that count.
	glitchRepairMinInterval = 150 * time.Millisecond
	// retestInterval: how often the client re-evaluates while timing
	// triggers may still fire (PredictionEngine::wait_time).
	retestInterval = 50 * time.Millisecond
	// initialSendInterval is the transport's send interval before any RTT
	// sample (mosh's PredictionEngine constructor).
	initialSendInterval = 250 * time.Millisecond
)

// never stands for mosh's uint64_t(-1): the epoch and frame a reset
// prediction carries, beyond any real one.
const never = math.MaxUint64

// DisplayPreference says when predictions are shown (MOSH_PREDICTION_DISPLAY).
type DisplayPreference int

// The display preferences of mosh 1.4.
const (
	// Adaptive shows predictions when the link is slow (send interval above
	// 30 ms) or a prediction has been pending for 250 ms.
	Adaptive DisplayPreference = iota
	// Always shows (confirmed-epoch) predictions at once.
	Always
	// Never predicts nothing.
	Never
	// Experimental shows every prediction at once, never tentatively, and on
	// a wrong guess drops just that guess instead of everything.
	Experimental
)

// String returns the MOSH_PREDICTION_DISPLAY spelling.
func (d DisplayPreference) String() string {
	switch d {
	case Adaptive:
		return "adaptive"
	case Always:
		return "always"
	case Never:
		return "never"
	case Experimental:
		return "experimental"
	}
	return fmt.Sprintf("DisplayPreference(%d)", int(d))
}

// ParseDisplayPreference parses a --predict / MOSH_PREDICTION_DISPLAY value;
// the empty string means Adaptive. The error text is mosh-client's.
func ParseDisplayPreference(s string) (DisplayPreference, error) {
	switch s {
	case "", "adaptive":
		return Adaptive, nil
	case "always":
		return Always, nil
	case "never":
		return Never, nil
	case "experimental":
		return Experimental, nil
	}
	//lint:ignore ST1005 the wording is mosh-client's, shown to the user as is
	return Adaptive, fmt.Errorf("Unknown prediction mode %q", s)
}

// conditional is what cell and cursor predictions share (mosh's
// ConditionalOverlay): the frame whose echo settles it, the epoch until which
// it stays hidden, and when it was made.
type conditional struct {
	expirationFrame uint64    // late ack at which the server must show it
	tentativeUntil  uint64    // shown once confirmedEpoch reaches this
	predictedAt     time.Time // to find long-pending predictions
	active          bool      // represents a prediction at all
}

func (c *conditional) tentative(confirmedEpoch uint64) bool {
	return c.tentativeUntil > confirmedEpoch
}

func (c *conditional) resetConditional() {
	c.expirationFrame, c.tentativeUntil, c.active = never, never, false
}

// expire (mosh's name) re-arms the prediction for the frame about to be sent.
func (c *conditional) expire(frame uint64, now time.Time) {
	c.expirationFrame, c.predictedAt = frame, now
}

// cursorMove predicts where the cursor will be (ConditionalCursorMove).
type cursorMove struct {
	conditional
	row, col int
}

// cellPrediction predicts one cell (ConditionalOverlayCell).
type cellPrediction struct {
	conditional
	replacement term.Cell
	// unknown: something will be here, but we cannot say what (the cell
	// pushed past the right margin by an insert); only underlined.
	unknown bool
	// original holds what the cell showed before each prediction on it, so
	// that a "correct" echo of unchanged contents earns no credit.
	original []term.Cell
}

func (c *cellPrediction) reset() {
	c.unknown = false
	c.original = c.original[:0]
	c.resetConditional()
}

// resetWithOrig retires the current guess before a new one on the same cell,
// remembering it as an original so that it cannot confirm the new guess.
func (c *cellPrediction) resetWithOrig() {
	if !c.active || c.unknown {
		c.reset()
		return
	}
	c.remember(c.replacement)
	c.resetConditional()
}

// remember adds o to the originals. Only whether some original's contents
// match the guess matters, so a cell whose contents are already there is not
// added again: the list stays as small as the set of different characters
// the cell showed, however long the server stays silent.
func (c *cellPrediction) remember(o term.Cell) {
	for _, x := range c.original {
		if x.ContentsMatch(o) {
			return
		}
	}
	c.original = append(c.original, o)
}

// predictedRow is one screen row's cell predictions (ConditionalOverlayRow).
type predictedRow struct {
	row   int
	cells []cellPrediction // one per column, cells[i] is column i
}

// Prediction is mosh's PredictionEngine: it guesses the effect of each typed
// byte on the screen, draws the guesses over the server's screen, and checks
// them against the server's echo. It is not safe for concurrent use; the
// client loop owns it.
type Prediction struct {
	pref      DisplayPreference
	overwrite bool // MOSH_PREDICTION_OVERWRITE: typing replaces, not inserts

	parser   term.Parser
	input    inputActions // the parser's handler, reused for every byte
	lastByte byte         // for the ESC O → ESC [ translation

	rows    []predictedRow // in creation order, as mosh's list
	cursors []cursorMove   // the newest is last

	localFrameSent, localFrameAcked, localFrameLateAcked uint64

	predictionEpoch, confirmedEpoch uint64

	flagging       bool // underline predictions
	srttTrigger    bool // show predictions because the link is slow
	glitchTrigger  int  // show (and above glitchRepairCount underline) after long-pending ones
	lastQuickCheck time.Time
	sendInterval   time.Duration
	lastW, lastH   int
}

// NewPrediction returns an engine with mosh's initial state: nothing
// predicted, epoch 1 predicted and epoch 0 confirmed, a 250 ms send interval.
// overwrite is MOSH_PREDICTION_OVERWRITE=yes.
func NewPrediction(pref DisplayPreference, overwrite bool) *Prediction {
	p := &Prediction{
		pref:            pref,
		overwrite:       overwrite,
		predictionEpoch: 1,
		sendInterval:    initialSendInterval,
	}
	p.input.p = p
	return p
}

// SetLocalFrameSent records the newest state number sent, captured before
// the input being predicted is added: its predictions expire with the next.
func (p *Prediction) SetLocalFrameSent(n uint64) { p.localFrameSent = n }

// SetLocalFrameAcked records the newest state the server acknowledged.
func (p *Prediction) SetLocalFrameAcked(n uint64) { p.localFrameAcked = n }

// SetLocalFrameLateAcked records the server's echo ack: the newest user state
// whose effect on the screen the server has had time to show.
func (p *Prediction) SetLocalFrameLateAcked(n uint64) { p.localFrameLateAcked = n }

// SetSendInterval records the transport's send interval, the engine's measure
// of how slow the link is.
func (p *Prediction) SetSendInterval(d time.Duration) { p.sendInterval = d }

// Reset forgets every prediction and makes the next ones tentative; the
// client calls it for pastes and window size changes.
func (p *Prediction) Reset() {
	p.cursors = p.cursors[:0]
	p.rows = p.rows[:0]
	p.becomeTentative()
}

// Active reports whether any prediction is outstanding.
func (p *Prediction) Active() bool {
	if len(p.cursors) > 0 {
		return true
	}
	for i := range p.rows {
		for j := range p.rows[i].cells {
			if p.rows[i].cells[j].active {
				return true
			}
		}
	}
	return false
}

// NextWake is when the client should call Apply again even if nothing
// happens: every 50 ms while predictions are outstanding and a timing
// trigger (glitch display, underlining) has yet to fire; zero otherwise.
func (p *Prediction) NextWake(now time.Time) time.Time {
	timingTestsNecessary := !(p.glitchTrigger > 0 && p.flagging)
	if timingTestsNecessary && p.Active() {
		return now.Add(retestInterval)
	}
	return time.Time{}
}

// Apply checks the predictions against fb, a clone of the server's latest
// screen, then draws those that are shown onto it (mosh's OverlayManager
// order: cull, then apply).
func (p *Prediction) Apply(fb *term.Framebuffer, now time.Time) {
	p.cull(fb, now)
	p.draw(fb)
}

// becomeTentative starts a new epoch: what is predicted from now on stays
// hidden until one of its cells is confirmed. Experimental mode never does.
func (p *Prediction) becomeTentative() {
	if p.pref != Experimental {
		p.predictionEpoch++
	}
}

// shown reports whether predictions are displayed at all right now.
func (p *Prediction) shown() bool {
	switch p.pref {
	case Never:
		return false
	case Always, Experimental:
		return true
	}
	return p.srttTrigger || p.glitchTrigger > 0
}
