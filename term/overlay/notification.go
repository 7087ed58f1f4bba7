package overlay

import (
	"fmt"
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

// Mosh's notification timings (terminaloverlay.h, stmclient.cc).
const (
	// ServerLateAfter is the silence after which the bar counts up "Last contact".
	ServerLateAfter = 6500 * time.Millisecond
	// ReplyLateAfter is the age of the newest ack after which it counts "Last reply".
	ReplyLateAfter = 10 * time.Second
	// TemporaryMessage is how long a non-permanent message stays.
	TemporaryMessage = time.Second
	// NetworkErrorMessage is how long a send error stays (ACK_INTERVAL + 100 ms).
	NetworkErrorMessage = 3100 * time.Millisecond
	// StatusNotice is how long a new status line (the session's route
	// changed, a re-dial started) or a status asked for with the escape
	// key stays in the bar before row 0 goes back to the application.
	StatusNotice        = 3 * time.Second
	countupInterval     = time.Second
	slowCountupInterval = 3 * time.Second // after 60 s of silence, to save power
)

// Notifications is mosh's NotificationEngine: the bar across the top row.
type Notifications struct {
	lastHeard, lastAcked time.Time
	quitHint             string // " [To quit: Ctrl-^ .]"
	message              string
	permanent            bool
	expires              time.Time
	networkError         bool
	showQuit             bool

	// status is the session's state line ("" when there is nothing to
	// say); statusUntil is when its notice ends (zero: not shown now), and
	// statusNew marks a changed line whose notice has not started.
	status      string
	statusUntil time.Time
	statusNew   bool
}

// NewNotifications starts with the server considered heard at now.
func NewNotifications(now time.Time, escapeKeyName string) *Notifications {
	n := &Notifications{lastHeard: now, lastAcked: now, showQuit: true}
	n.SetEscapeKeyName(escapeKeyName)
	return n
}

// SetEscapeKeyName sets how the quit hint names the escape key ("Ctrl-^").
// An empty name (escape key disabled) drops the hint.
func (n *Notifications) SetEscapeKeyName(name string) {
	if name == "" {
		n.quitHint = ""
		return
	}
	n.quitHint = fmt.Sprintf(" [To quit: %s .]", name)
}

// ServerHeard records the arrival time of the newest server state.
func (n *Notifications) ServerHeard(t time.Time) { n.lastHeard = t }

// ServerAcked records the send time of the newest state the server acked.
func (n *Notifications) ServerAcked(t time.Time) { n.lastAcked = t }

// SetMessage shows msg: for TemporaryMessage, or until replaced when
// permanent. showQuit adds the quit hint.
func (n *Notifications) SetMessage(msg string, permanent, showQuit bool, now time.Time) {
	n.message, n.permanent, n.showQuit, n.networkError = msg, permanent, showQuit, false
	n.expires = now.Add(TemporaryMessage)
}

// SetMessageFor shows msg for d (with the quit hint when showQuit).
func (n *Notifications) SetMessageFor(msg string, d time.Duration, showQuit bool, now time.Time) {
	n.SetMessage(msg, false, showQuit, now)
	n.expires = now.Add(d)
}

// SetStatus records the session's state line, such as the route its
// datagrams take. A line that changed is shown for StatusNotice from the
// frame it first appears on (a message in the bar goes first), or until
// DismissStatus; after that row 0 belongs to the application again, and the
// line comes back only while contact is being lost, where mosh shows its
// bar, as the reason. An empty line says nothing.
func (n *Notifications) SetStatus(line string) {
	if line == n.status {
		return
	}
	n.status, n.statusNew, n.statusUntil = line, line != "", time.Time{}
}

// DismissStatus ends the notice of a status line early (the user typed).
func (n *Notifications) DismissStatus() {
	n.statusNew, n.statusUntil = false, time.Time{}
}

// Status is the current state line ("" when none).
func (n *Notifications) Status() string { return n.status }

// Message is the current message ("" when none).
func (n *Notifications) Message() string { return n.message }

// SetNetworkError shows a send error such as "sendto: Network is unreachable".
func (n *Notifications) SetNetworkError(msg string, now time.Time) {
	n.message, n.permanent, n.showQuit, n.networkError = msg, false, true, true
	n.expires = now.Add(NetworkErrorMessage)
}

// ClearNetworkError lets a network error fade within a second once sends work again.
func (n *Notifications) ClearNetworkError(now time.Time) {
	if n.networkError && n.expires.After(now.Add(TemporaryMessage)) {
		n.expires = now.Add(TemporaryMessage)
	}
}

func (n *Notifications) serverLate(now time.Time) bool { return now.Sub(n.lastHeard) > ServerLateAfter }
func (n *Notifications) replyLate(now time.Time) bool  { return now.Sub(n.lastAcked) > ReplyLateAfter }

// Late reports whether the bar shows a countdown now.
func (n *Notifications) Late(now time.Time) bool { return n.serverLate(now) || n.replyLate(now) }

// adjust drops an expired message and ends an expired status notice.
func (n *Notifications) adjust(now time.Time) {
	if n.message != "" && !n.permanent && !now.Before(n.expires) {
		n.message = ""
	}
	if !n.statusUntil.IsZero() && !now.Before(n.statusUntil) {
		n.statusUntil = time.Time{}
	}
}

// statusText is the status line when the bar shows it at now: during its
// notice, or while late. It starts a pending notice, so call it only for
// the frame being drawn.
func (n *Notifications) statusText(now time.Time, late bool) string {
	if n.status == "" {
		return ""
	}
	if n.message != "" {
		// A message covers the line: its notice starts again, whole,
		// once the message is gone.
		if !n.statusUntil.IsZero() {
			n.statusNew, n.statusUntil = true, time.Time{}
		}
		return ""
	}
	if n.statusNew {
		n.statusNew, n.statusUntil = false, now.Add(StatusNotice)
	}
	if !n.statusUntil.IsZero() || late {
		return n.status
	}
	return ""
}

// Text is the bar's text at now, or "" when no bar is shown.
func (n *Notifications) Text(now time.Time) string {
	n.adjust(now)
	late := n.Late(now)
	message, showQuit := n.message, n.showQuit
	if st := n.statusText(now, late); st != "" {
		message, showQuit = st, true
	}
	if message == "" && !late {
		return ""
	}
	elapsed, what := now.Sub(n.lastHeard), "contact"
	if n.replyLate(now) && !n.serverLate(now) {
		elapsed, what = now.Sub(n.lastAcked), "reply"
	}
	hint := ""
	if showQuit {
		hint = n.quitHint
	}
	secs := int(elapsed / time.Second)
	switch {
	case message == "":
		return fmt.Sprintf("mosh: Last %s %s ago.%s", what, humanDuration(secs, "seconds"), hint)
	case !late:
		return fmt.Sprintf("mosh: %s%s", message, hint)
	default:
		return fmt.Sprintf("mosh: %s (%s without %s.)%s", message, humanDuration(secs, "s"), what, hint)
	}
}

func humanDuration(secs int, unit string) string {
	switch {
	case secs < 60:
		return fmt.Sprintf("%d %s", secs, unit)
	case secs < 3600:
		return fmt.Sprintf("%d:%02d", secs/60, secs%60)
	default:
		return fmt.Sprintf("%d:%02d:%02d", secs/3600, (secs/60)%60, secs%60)
	}
}

// NextWake is when the bar next needs redrawing (zero: not before something
// else happens).
func (n *Notifications) NextWake(now time.Time) time.Time {
	var next time.Time
	if n.message != "" && !n.permanent {
		next = n.expires
	}
	if !n.statusUntil.IsZero() && (next.IsZero() || n.statusUntil.Before(next)) {
		next = n.statusUntil
	}
	if n.Late(now) {
		iv := countupInterval
		if now.Sub(n.lastHeard) > time.Minute {
			iv = slowCountupInterval
		}
		if t := now.Add(iv); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// barRendition is white on blue; the text is bold (terminaloverlay.cc).
var (
	barRendition  = term.Rendition{Fg: term.PaletteColor(7), Bg: term.PaletteColor(4)}
	textRendition = term.Rendition{Fg: term.PaletteColor(7), Bg: term.PaletteColor(4), Attrs: term.AttrBold}
)

// Apply draws the bar on row 0 of fb (a clone of the server's screen),
// hiding the cursor if it sits on that row.
func (n *Notifications) Apply(fb *term.Framebuffer, now time.Time) {
	text := n.Text(now)
	if text == "" || fb.Width() < 1 || fb.Height() < 1 {
		return
	}
	if fb.CursorRow() == 0 {
		fb.SetCursorVisible(false)
	}
	blank := term.NewCell(" ", false, barRendition)
	for c := 0; c < fb.Width(); c++ {
		fb.SetCell(0, c, blank)
	}
	col := 0
	for _, r := range text {
		w := term.Width(r)
		if w <= 0 {
			continue // the bar's texts have no combining characters
		}
		if col+w > fb.Width() {
			break
		}
		fb.SetCell(0, col, term.NewCell(string(r), w == 2, textRendition))
		col += w
	}
}
