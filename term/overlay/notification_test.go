package overlay

import (
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

func TestNotificationTexts(t *testing.T) {
	t0 := time.Unix(5000, 0)
	n := NewNotifications(t0, "Ctrl-^")
	if got := n.Text(t0.Add(6 * time.Second)); got != "" {
		t.Errorf("bar shown after 6 s of silence: %q", got)
	}
	if got, want := n.Text(t0.Add(6600*time.Millisecond)), "mosh: Last contact 6 seconds ago. [To quit: Ctrl-^ .]"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := n.Text(t0.Add(125*time.Second)), "mosh: Last contact 2:05 ago. [To quit: Ctrl-^ .]"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := n.Text(t0.Add(3725*time.Second)), "mosh: Last contact 1:02:05 ago. [To quit: Ctrl-^ .]"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	// Heard again: the bar goes.
	n.ServerHeard(t0.Add(20 * time.Second))
	n.ServerAcked(t0.Add(20 * time.Second))
	if got := n.Text(t0.Add(21 * time.Second)); got != "" {
		t.Errorf("bar still shown after contact returned: %q", got)
	}
	// Only the uplink is late: "Last reply".
	n.ServerHeard(t0.Add(31 * time.Second))
	if got, want := n.Text(t0.Add(31*time.Second)), "mosh: Last reply 11 seconds ago. [To quit: Ctrl-^ .]"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestNotificationMessages(t *testing.T) {
	t0 := time.Unix(5000, 0)
	n := NewNotifications(t0, "Ctrl-^")
	n.SetMessage("Nothing received from server on UDP port 60001.", true, true, t0)
	if got, want := n.Text(t0.Add(time.Second)), "mosh: Nothing received from server on UDP port 60001. [To quit: Ctrl-^ .]"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := n.Text(t0.Add(8*time.Second)), "mosh: Nothing received from server on UDP port 60001. (8 s without contact.) [To quit: Ctrl-^ .]"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	n.ServerHeard(t0.Add(8 * time.Second))
	n.ServerAcked(t0.Add(8 * time.Second))
	n.SetMessage("Exiting...", false, true, t0.Add(8*time.Second))
	if n.Text(t0.Add(8500*time.Millisecond)) == "" {
		t.Error("temporary message gone too early")
	}
	if got := n.Text(t0.Add(9 * time.Second)); got != "" {
		t.Errorf("temporary message still there after 1 s: %q", got)
	}
	if !n.NextWake(t0.Add(9 * time.Second)).IsZero() {
		t.Errorf("NextWake with nothing to show = %v", n.NextWake(t0.Add(9*time.Second)))
	}
}

func TestNotificationApply(t *testing.T) {
	t0 := time.Unix(5000, 0)
	n := NewNotifications(t0, "Ctrl-^")
	fb := term.NewFramebuffer(40, 5)
	fb.SetCursor(0, 3)
	n.Apply(fb, t0.Add(7*time.Second))
	var row strings.Builder
	for c := 0; c < fb.Width(); c++ {
		row.WriteString(fb.Cell(0, c).String())
	}
	if got, want := row.String(), "mosh: Last contact 7 seconds ago. [To qu"; got != want {
		t.Errorf("row 0 = %q, want %q", got, want)
	}
	if fb.CursorVisible() {
		t.Error("cursor on the bar's row should be hidden")
	}
	if r := fb.Cell(0, 0).Rendition(); !r.Has(term.AttrBold) || r.Bg != term.PaletteColor(4) {
		t.Errorf("bar text rendition = %+v, want bold on blue", r)
	}
	if fb.Cell(1, 0).String() == "m" {
		t.Error("the bar leaked below row 0")
	}
}

// TestStatusNoticeTiming: a new status line (a route change) shows for
// StatusNotice from the frame it first appears on, then row 0 goes back to
// the application; it returns only while contact is being lost, and a
// keystroke ends the notice early. Fake clock throughout.
func TestStatusNoticeTiming(t *testing.T) {
	t0 := time.Unix(5000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	n := NewNotifications(t0, "Ctrl-^")
	const line = "Over SSH (no reply on UDP port 60001)."
	want := "mosh: " + line + " [To quit: Ctrl-^ .]"

	n.SetStatus(line)
	if got := n.Text(at(0)); got != want {
		t.Fatalf("Text at the change = %q, want %q", got, want)
	}
	if w := n.NextWake(at(time.Second)); !w.Equal(at(StatusNotice)) {
		t.Errorf("NextWake = %v, want the end of the notice %v", w.Sub(t0), StatusNotice)
	}
	if got := n.Text(at(StatusNotice - time.Millisecond)); got != want {
		t.Errorf("Text just before the notice ends = %q", got)
	}
	if got := n.Text(at(StatusNotice)); got != "" {
		t.Errorf("Text after the notice = %q, want row 0 back", got)
	}
	if w := n.NextWake(at(StatusNotice)); !w.IsZero() {
		t.Errorf("NextWake after the notice = %v, want none (nothing ticks)", w.Sub(t0))
	}
	// The same line again is no change: nothing shows.
	n.SetStatus(line)
	if got := n.Text(at(4 * time.Second)); got != "" {
		t.Errorf("unchanged status shown again: %q", got)
	}
	// Contact being lost: the line is the bar's reason, as long as it lasts.
	n.ServerHeard(at(4 * time.Second))
	n.ServerAcked(at(4 * time.Second))
	late := at(4*time.Second + ServerLateAfter + 500*time.Millisecond)
	if got, w := n.Text(late), "mosh: "+line+" (7 s without contact.) [To quit: Ctrl-^ .]"; got != w {
		t.Errorf("late Text = %q, want %q", got, w)
	}
	n.ServerHeard(late)
	n.ServerAcked(late)
	if got := n.Text(late); got != "" {
		t.Errorf("Text once contact is back = %q", got)
	}

	// A change shown under a message starts its notice when the message
	// goes, and a keystroke (DismissStatus) ends it early.
	s := late.Add(time.Minute)
	n.ServerHeard(s)
	n.ServerAcked(s)
	n.SetMessage("Exiting...", false, false, s)
	n.SetStatus("Re-dialling the SSH connection...")
	if got := n.Text(s); got != "mosh: Exiting..." {
		t.Errorf("message hidden by the status: %q", got)
	}
	gone := s.Add(TemporaryMessage)
	if got := n.Text(gone); !strings.Contains(got, "Re-dialling") {
		t.Errorf("status not shown once the message went: %q", got)
	}
	if got := n.Text(gone.Add(StatusNotice - time.Millisecond)); !strings.Contains(got, "Re-dialling") {
		t.Errorf("status notice shorter than StatusNotice from its first frame: %q", got)
	}
	// A message over a running notice: the notice starts again after it.
	n.SetMessage("sendto: Network is unreachable", false, true, gone.Add(time.Second))
	back := gone.Add(time.Second + TemporaryMessage)
	if got := n.Text(back.Add(-time.Millisecond)); !strings.Contains(got, "sendto") {
		t.Errorf("message not shown over the status: %q", got)
	}
	if got := n.Text(back.Add(StatusNotice - time.Millisecond)); !strings.Contains(got, "Re-dialling") {
		t.Errorf("status notice not whole after a message: %q", got)
	}
	gone = back
	n.SetStatus("Over SSH.")
	if got := n.Text(gone.Add(StatusNotice)); got != "mosh: Over SSH. [To quit: Ctrl-^ .]" {
		t.Errorf("changed status not shown: %q", got)
	}
	n.DismissStatus()
	if got := n.Text(gone.Add(StatusNotice + time.Millisecond)); got != "" {
		t.Errorf("status still shown after a keystroke: %q", got)
	}
	// An empty line says nothing.
	n.SetStatus("")
	if got := n.Text(gone.Add(StatusNotice + 2*time.Millisecond)); got != "" {
		t.Errorf("empty status shows %q", got)
	}
}

// TestSetMessageFor: a message with its own duration (the status key's
// report) stays exactly that long.
func TestSetMessageFor(t *testing.T) {
	t0 := time.Unix(5000, 0)
	n := NewNotifications(t0, "Ctrl-^")
	n.SetMessageFor("UDP port 60001, RTT 1ms", StatusNotice, false, t0)
	if got := n.Text(t0.Add(StatusNotice - time.Millisecond)); got != "mosh: UDP port 60001, RTT 1ms" {
		t.Errorf("Text = %q", got)
	}
	if got := n.Text(t0.Add(StatusNotice)); got != "" {
		t.Errorf("Text after %v = %q", StatusNotice, got)
	}
}
