package overlay

// TEMPORARY: a placeholder so the client compiles while the prediction
// engine is being written; it predicts nothing. Replaced by the real engine.

import (
	"fmt"
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

// DisplayPreference says when predictions are shown (MOSH_PREDICTION_DISPLAY).
type DisplayPreference int

const (
	Adaptive DisplayPreference = iota
	Always
	Never
	Experimental
)

// ParseDisplayPreference parses a --predict / MOSH_PREDICTION_DISPLAY value.
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
	return Adaptive, fmt.Errorf("Unknown prediction mode %q", s)
}

type Prediction struct{}

func NewPrediction(pref DisplayPreference, overwrite bool) *Prediction        { return &Prediction{} }
func (p *Prediction) SetLocalFrameSent(n uint64)                              {}
func (p *Prediction) SetLocalFrameAcked(n uint64)                             {}
func (p *Prediction) SetLocalFrameLateAcked(n uint64)                         {}
func (p *Prediction) SetSendInterval(d time.Duration)                         {}
func (p *Prediction) NewUserByte(b byte, fb *term.Framebuffer, now time.Time) {}
func (p *Prediction) Apply(fb *term.Framebuffer, now time.Time)               {}
func (p *Prediction) Reset()                                                  {}
func (p *Prediction) NextWake(now time.Time) time.Time                        { return time.Time{} }
func (p *Prediction) Active() bool                                            { return false }
