package session

import (
	"errors"
	"time"
)

// Prompt is a question the client asks in its notification bar while the
// session runs (a passphrase or password for a re-dial), since the
// terminal belongs to the session and nothing may be printed over it.
// The answer goes to Reply, which must have room for one value.
type Prompt struct {
	Question string
	Echo     bool // show what is typed (false for secrets)
	Reply    chan<- PromptAnswer
}

// PromptAnswer is the user's answer, or why there is none.
type PromptAnswer struct {
	Text string
	Err  error
}

// errPromptCancelled: the user pressed Ctrl-C at the prompt, or the
// session ended first.
var errPromptCancelled = errors.New("session: prompt cancelled")

// promptState is the prompt being answered.
type promptState struct {
	p   *Prompt
	buf []byte
}

// text is what the bar shows: the question, and the answer typed so far
// when it may be shown.
func (ps *promptState) text() string {
	if ps.p.Echo {
		return ps.p.Question + string(ps.buf)
	}
	return ps.p.Question
}

// feed takes one typed byte; done reports that the prompt was answered
// (or cancelled) and must be closed.
func (ps *promptState) feed(b byte) (done bool) {
	switch b {
	case '\r', '\n':
		ps.p.Reply <- PromptAnswer{Text: string(ps.buf)}
		return true
	case 0x03: // Ctrl-C
		ps.p.Reply <- PromptAnswer{Err: errPromptCancelled}
		return true
	case 0x7f, 0x08:
		if n := len(ps.buf); n > 0 {
			// Drop a whole UTF-8 character.
			i := n - 1
			for i > 0 && ps.buf[i]&0xc0 == 0x80 {
				i--
			}
			ps.buf = ps.buf[:i]
		}
	case 0x15: // Ctrl-U
		ps.buf = ps.buf[:0]
	default:
		if b >= 0x20 || b == '\t' {
			ps.buf = append(ps.buf, b)
		}
	}
	return false
}

// cancel answers an open prompt with errPromptCancelled.
func (ps *promptState) cancel() {
	ps.p.Reply <- PromptAnswer{Err: errPromptCancelled}
}

// showPrompt puts the prompt in the bar.
func (c *client) showPrompt(now time.Time) {
	c.notes.SetMessage(c.prompt.text(), true, false, now)
}
