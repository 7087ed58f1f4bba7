package overlay

import (
	"testing"
	"time"
)

// Tests of when predictions are shown and underlined: the send-interval and
// glitch triggers and the display preferences.

func TestPredictionUnderlineHysteresis(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.p.SetSendInterval(100 * time.Millisecond)
	pt.server("$ ")
	pt.confirm("a")
	pt.typeKeys("b")
	for _, tc := range []struct {
		interval time.Duration
		want     bool
	}{
		{100 * time.Millisecond, true},
		{60 * time.Millisecond, true}, // between the thresholds: unchanged
		{50 * time.Millisecond, false},
		{60 * time.Millisecond, false},
		{80 * time.Millisecond, false},
		{81 * time.Millisecond, true},
	} {
		pt.p.SetSendInterval(tc.interval)
		pt.frame()
		pt.wantRow(0, "$ ab")
		if got := pt.underlined(0, 3); got != tc.want {
			t.Errorf("send interval %v: underlined = %v, want %v", tc.interval, got, tc.want)
		}
	}
}

// Unknown cells (pushed past the margin) get only an underline, and never in
// the last column.
func TestPredictionUnknownCells(t *testing.T) {
	pt := newPredictTest(t, Experimental, false, 10, 3)
	pt.server("$ abcdefgh\x1b[6G")
	pt.typeKeys("\x7f")
	pt.wantRow(0, "$ abdefggh")
	pt.wantCursor(0, 4)
	for col, want := range map[int]bool{3: false, 4: true, 7: true, 8: true, 9: false} {
		if got := pt.underlined(0, col); got != want {
			t.Errorf("column %d underlined = %v, want %v", col, got, want)
		}
	}
}

func TestPredictionSRTTTrigger(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24) // 250 ms until measured: on
	pt.p.SetSendInterval(25 * time.Millisecond)
	pt.frame()
	if !pt.p.srttTrigger {
		t.Fatal("25 ms cured the SRTT trigger; only 20 ms does")
	}
	pt.p.SetSendInterval(20 * time.Millisecond)
	pt.frame()
	pt.p.SetSendInterval(25 * time.Millisecond) // below the high mark: stays off
	pt.server("$ ")
	pt.confirm("a")
	pt.typeKeys("b")
	pt.wantRow(0, "$ a")
	pt.p.SetSendInterval(31 * time.Millisecond)
	pt.frame()
	pt.wantRow(0, "$ ab")
	pt.p.SetSendInterval(25 * time.Millisecond) // above the low mark: stays
	pt.frame()
	pt.wantRow(0, "$ ab")
	pt.p.SetSendInterval(20 * time.Millisecond) // low, but a prediction is shown
	pt.frame()
	pt.wantRow(0, "$ ab")
	pt.echo("b")
	pt.frame() // nothing active any more: the trigger is cured
	pt.typeKeys("c")
	pt.wantRow(0, "$ ab")
	if pt.p.srttTrigger {
		t.Error("SRTT trigger still on")
	}
}

// On a fast link a prediction pending for 250 ms shows predictions; one
// pending for 5 s also underlines them. Quick confirmations at least 150 ms
// apart take the trigger away one step at a time.
func TestPredictionGlitchTrigger(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.p.SetSendInterval(20 * time.Millisecond)
	pt.server("$ ")
	pt.confirm("a")
	pt.typeKeys("b")
	pt.wantRow(0, "$ a")
	pt.advance(249 * time.Millisecond)
	pt.wantRow(0, "$ a")
	pt.advance(time.Millisecond)
	pt.wantRow(0, "$ ab")
	if pt.underlined(0, 3) {
		t.Error("underlined after a 250 ms glitch")
	}
	if pt.p.glitchTrigger != glitchRepairCount {
		t.Errorf("glitch trigger %d", pt.p.glitchTrigger)
	}
	if w := pt.p.NextWake(pt.now); !w.Equal(pt.now.Add(50 * time.Millisecond)) {
		t.Errorf("NextWake = %v, want now+50ms", w.Sub(pt.now))
	}
	pt.advance(4749 * time.Millisecond)
	if pt.p.glitchTrigger != glitchRepairCount {
		t.Errorf("glitch trigger %d before 5 s", pt.p.glitchTrigger)
	}
	pt.advance(time.Millisecond)
	pt.frame() // underlining follows the trigger from the next check on, as in mosh
	if !pt.underlined(0, 3) {
		t.Error("not underlined after a 5 s glitch")
	}
	if !pt.p.NextWake(pt.now).IsZero() {
		t.Error("NextWake set although every timing trigger has fired")
	}
	pt.echo("b") // a slow confirmation does not count
	if pt.p.glitchTrigger != 2*glitchRepairCount {
		t.Fatalf("glitch trigger %d after a slow confirmation", pt.p.glitchTrigger)
	}

	quick := func(gap time.Duration) {
		pt.advance(gap)
		pt.typeKeys("c")
		pt.advance(100 * time.Millisecond)
		pt.echo("c")
	}
	quick(150 * time.Millisecond)
	quick(0) // only 100 ms after the previous one: does not count
	if pt.p.glitchTrigger != 2*glitchRepairCount-1 {
		t.Fatalf("glitch trigger %d, want %d", pt.p.glitchTrigger, 2*glitchRepairCount-1)
	}
	for pt.p.glitchTrigger > glitchRepairCount {
		quick(100 * time.Millisecond)
	}
	pt.typeKeys("d")
	if pt.underlined(0, pt.local.CursorCol()-1) || !pt.p.shown() {
		t.Error("at trigger 10: want shown, not underlined")
	}
	pt.echo("d")
	for i := 0; pt.p.glitchTrigger > 0 && i < 100; i++ {
		quick(100 * time.Millisecond)
	}
	if pt.p.glitchTrigger != 0 {
		t.Fatalf("glitch trigger stuck at %d", pt.p.glitchTrigger)
	}
	pt.typeKeys("e")
	pt.wantServerScreen()
}

func TestPredictionNeverShowsNothing(t *testing.T) {
	pt := newPredictTest(t, Never, false, 80, 24)
	pt.server("$ ")
	for _, k := range []string{"a", "b", "\x7f", "\x1b[D", "\r", "c"} {
		pt.typeKeys(k)
		pt.wantServerScreen()
		if pt.p.Active() || !pt.p.NextWake(pt.now).IsZero() {
			t.Fatal("Never mode predicted something")
		}
	}
	pt.advance(10 * time.Second)
	pt.wantServerScreen()
}

// Always shows confirmed-epoch predictions however fast the link is, where
// Adaptive would not.
func TestPredictionAlwaysShowsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		pref DisplayPreference
		want string
	}{{Always, "$ ab"}, {Adaptive, "$ a"}} {
		pt := newPredictTest(t, tc.pref, false, 80, 24)
		pt.p.SetSendInterval(20 * time.Millisecond)
		pt.server("$ ")
		pt.confirm("a")
		pt.typeKeys("b")
		pt.wantRow(0, tc.want)
		if pt.underlined(0, 3) {
			t.Errorf("%v: underlined on a fast link", tc.pref)
		}
	}
}

// Experimental shows every prediction at once and drops only the wrong one.
func TestPredictionExperimental(t *testing.T) {
	pt := newPredictTest(t, Experimental, false, 80, 24)
	pt.server("$ ")
	pt.typeKeys("ab") // state 1
	pt.wantRow(0, "$ ab")
	pt.typeKeys("\r")
	pt.wantCursor(1, 0)
	pt.typeKeys("\x1b[A") // still never tentative
	pt.typeKeys("x")
	pt.wantRow(1, "x")
	if pt.p.predictionEpoch > pt.p.confirmedEpoch {
		t.Errorf("experimental prediction epoch %d above confirmed %d", pt.p.predictionEpoch, pt.p.confirmedEpoch)
	}

	pt = newPredictTest(t, Experimental, false, 80, 24)
	pt.server("$ ")
	pt.typeKeys("ab") // state 1
	pt.typeKeys("c")  // state 2
	pt.server("aX")
	pt.ack(1) // 'b' was wrong: only it goes; 'c' is still pending and shown
	pt.wantRow(0, "$ aXc")
	pt.wantCursor(0, 5)

	// In Adaptive mode the same wrong guess resets everything.
	pa := newPredictTest(t, Adaptive, false, 80, 24)
	pa.server("$ ")
	pa.confirm("_")
	pa.typeKeys("ab")
	pa.typeKeys("c")
	pa.wantRow(0, "$ _abc")
	pa.server("aX")
	pa.ack(3)
	pa.wantServerScreen()
}

// In Experimental mode a wrong cursor guess drops the cursor guesses only;
// pending cells stay. (A CR does not re-arm the cursor's frame, so an ack of
// the keys before it already judges the cursor.)
func TestPredictionExperimentalWrongCursor(t *testing.T) {
	pt := newPredictTest(t, Experimental, false, 10, 1)
	pt.server("$ ")
	pt.typeKeys("ab") // state 1
	pt.typeKeys("\r") // state 2: the last row is predicted blank
	pt.wantRow(0, "")
	pt.wantCursor(0, 0)
	pt.server("ab")
	pt.ack(1) // the cursor should be at (0,0) by now: wrong
	pt.wantRow(0, "")
	pt.wantCursor(0, 4)
	if len(pt.p.cursors) != 0 {
		t.Errorf("%d cursor predictions left", len(pt.p.cursors))
	}
}
