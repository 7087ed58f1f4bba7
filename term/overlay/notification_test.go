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
