package overlay

import (
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

func TestParseDisplayPreference(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DisplayPreference
	}{{"", Adaptive}, {"adaptive", Adaptive}, {"always", Always}, {"never", Never}, {"experimental", Experimental}} {
		got, err := ParseDisplayPreference(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDisplayPreference(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if tc.in != "" && got.String() != tc.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	for _, bad := range []string{"Always", "on", "yes", " adaptive"} {
		if _, err := ParseDisplayPreference(bad); err == nil || err.Error() != "Unknown prediction mode \""+bad+"\"" {
			t.Errorf("ParseDisplayPreference(%q) error = %v", bad, err)
		}
	}
}

// On a slow link (send interval 250 ms) the first keystroke of an epoch is
// not shown; once the server echoes it, the epoch is confirmed and later
// keystrokes appear at once, underlined.
func TestPredictionShownAfterEpochConfirmed(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.typeKeys("a")
	pt.wantRow(0, "$")
	pt.wantCursor(0, 2)
	pt.typeKeys("b")
	pt.wantRow(0, "$")

	pt.echo("ab")
	pt.wantServerScreen()
	if pt.p.Active() {
		t.Error("predictions still active after the echo settled them")
	}

	pt.typeKeys("c")
	pt.wantRow(0, "$ abc")
	pt.wantCursor(0, 5)
	if !pt.underlined(0, 4) {
		t.Error("prediction on a 250 ms link is not underlined")
	}
	if pt.underlined(0, 5) {
		t.Error("blank predicted over blank is underlined")
	}
	pt.echo("c")
	pt.wantServerScreen()
}

// The echo ack, not the screen alone, settles a prediction: a cell is judged
// only once the server says it has shown the state that carried the key.
func TestPredictionConfirmedByEchoAck(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.typeKeys("a") // state 1
	pt.server("a")   // the screen has it, but no echo ack yet
	pt.wantRow(0, "$ a")
	pt.typeKeys("b") // state 2, same epoch: still hidden
	pt.wantRow(0, "$ a")
	pt.wantCursor(0, 3)
	if pt.p.confirmedEpoch != 0 {
		t.Fatalf("epoch confirmed without an echo ack: %d", pt.p.confirmedEpoch)
	}

	pt.ack(1) // state 1 echoed: 'a' is right, the epoch is confirmed
	pt.wantRow(0, "$ ab")
	pt.wantCursor(0, 4)

	pt.ack(2) // state 2 echoed but the screen has no 'b': a shown guess was wrong
	pt.wantServerScreen()
	if pt.p.Active() {
		t.Error("wrong confirmed prediction did not reset the engine")
	}
}

// A password prompt does not echo: the typed characters are tentative (the
// CR before them opened a new epoch), are never shown, and once the echo ack
// proves them wrong the epoch is killed.
func TestPredictionPasswordStaysBlank(t *testing.T) {
	for _, pref := range []DisplayPreference{Adaptive, Always} {
		t.Run(pref.String(), func(t *testing.T) {
			pt := newPredictTest(t, pref, false, 80, 24)
			pt.server("$ ")
			pt.confirm("sudo -k true")
			pt.typeKeys("\r")
			pt.echo("\r\nPassword: ")
			for _, k := range "hunter2" {
				pt.typeKeys(string(k))
				pt.wantRow(1, "Password:")
				pt.wantCursor(1, 10)
			}
			pt.ackAll()
			pt.wantServerScreen()
			pt.typeKeys("x")
			pt.wantRow(1, "Password:")
			pt.typeKeys("\r")
			pt.echo("\r\n$ ")
			pt.wantServerScreen()
		})
	}
}

func TestPredictionIncorrectTentativeKillsEpoch(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.confirm("a")
	confirmed := pt.p.confirmedEpoch
	pt.typeKeys("\x03") // Ctrl-C: unpredictable, later keys are tentative
	pt.typeKeys("x")    // state 3, tentative
	pt.typeKeys("y")    // state 4, tentative
	pt.wantRow(0, "$ a")
	epoch := pt.p.predictionEpoch
	pt.ack(3) // the server did not print 'x'
	if pt.p.confirmedEpoch != confirmed {
		t.Errorf("confirmed epoch moved from %d to %d", confirmed, pt.p.confirmedEpoch)
	}
	if pt.p.predictionEpoch <= epoch {
		t.Errorf("killing the epoch did not open a new one (%d → %d)", epoch, pt.p.predictionEpoch)
	}
	for _, r := range pt.p.rows {
		for c, cell := range r.cells {
			if cell.active && cell.tentativeUntil >= epoch {
				t.Errorf("cell (%d,%d) of the killed epoch survived", r.row, c)
			}
		}
	}
	pt.wantServerScreen()
}

func TestPredictionIncorrectConfirmedResets(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.confirm("a")
	pt.typeKeys("b")
	pt.wantRow(0, "$ ab")
	pt.echo("c") // the application showed something else
	pt.wantRow(0, "$ ac")
	pt.wantServerScreen()
	if pt.p.Active() {
		t.Error("still active after a wrong shown prediction")
	}
	// Everything after a reset starts tentative again.
	pt.typeKeys("d")
	pt.wantRow(0, "$ ac")
}

func TestPredictionBackspace(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.confirm("abc")
	pt.typeKeys("\x7f")
	pt.wantRow(0, "$ ab")
	pt.wantCursor(0, 4)
	pt.echo("\b \b")
	pt.wantServerScreen()
	pt.wantCursor(0, 4)

	// Backspace in the middle of the line shifts the rest left.
	pt.confirm("cd") // "$ abcd"
	pt.typeKeys("\x1b[D")
	pt.wantCursor(0, 5)
	pt.typeKeys("\x7f")
	pt.wantRow(0, "$ abd")
	pt.wantCursor(0, 4)
	pt.echo("\b\bd \b\b") // what readline sends
	pt.wantServerScreen()
	pt.wantRow(0, "$ abd")

	// At the left margin there is nothing to delete.
	pt2 := newPredictTest(t, Always, false, 20, 5)
	pt2.confirm("x")
	pt2.typeKeys("\x7f\x7f")
	pt2.wantCursor(0, 0)
}

func TestPredictionCursorKeys(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 10, 5)
	pt.server("$ ")
	pt.confirm("abc")
	for _, tc := range []struct {
		keys string
		col  int
	}{
		{"\x1b[D", 4}, {"\x1bOD", 3}, {"\x1b[C", 4}, {"\x1bOC", 5},
		{"\x1b[1;5C", 6}, // the final byte decides, as in mosh
		{"\x1bOC\x1bOC\x1bOC\x1bOC", 9}, {"\x1b[C", 9},
	} {
		pt.typeKeys(tc.keys)
		pt.wantCursor(0, tc.col)
	}
	pt.echo("\x1b[10G")
	pt.wantServerScreen()

	pt.typeKeys("\x1b[D\x1b[D")
	pt.wantCursor(0, 7)
	pt.echo("\b\b")
	pt.wantServerScreen()
	for range 12 {
		pt.typeKeys("\x1b[D")
	}
	pt.wantCursor(0, 0)

	// Any other sequence (up arrow) is unpredictable: the next key is tentative.
	pt.echo("\r")
	pt.wantServerScreen()
	pt.typeKeys("\x1bOA")
	pt.typeKeys("z")
	pt.wantRow(0, "$ abc")
}

// CR predicts the cursor at the start of the next line in a new epoch; the
// keys typed after it are predicted there and shown once confirmed.
func TestPredictionCarriageReturn(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("> ")
	pt.confirm("one")
	pt.typeKeys("\r")
	pt.typeKeys("t")
	if c := pt.p.cursor(); c.row != 1 || c.col != 1 {
		t.Errorf("cursor predicted at (%d,%d), want (1,1)", c.row, c.col)
	}
	pt.wantCursor(0, 5) // the new epoch is not confirmed yet
	pt.wantRow(1, "")
	pt.echo("\r\nt")
	pt.wantServerScreen()
	pt.typeKeys("w")
	pt.wantRow(1, "tw")
	pt.wantCursor(1, 2)

	// On the last row a CR would scroll; the row is predicted blank instead.
	pt = newPredictTest(t, Experimental, false, 8, 3)
	pt.server("\r\n\r\n$ abc")
	pt.typeKeys("\r")
	pt.wantCursor(2, 0)
	pt.wantRow(2, "")
	for c, cell := range pt.p.row(2, 8).cells {
		if !cell.active || !cell.replacement.IsBlank() {
			t.Errorf("last-row cell %d not predicted blank", c)
		}
	}
	pt.echo("\r\n$ ")
	pt.wantServerScreen()
}

// Typing into the last column makes the prediction tentative and wraps the
// predicted cursor to the next line.
func TestPredictionLastColumn(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 10, 4)
	pt.server("$ ")
	pt.confirm("abcdefg")
	pt.wantCursor(0, 9)
	pt.typeKeys("h")
	pt.wantRow(0, "$ abcdefg")
	if c := pt.p.cursor(); c.row != 1 || c.col != 0 {
		t.Errorf("cursor predicted at (%d,%d), want (1,0)", c.row, c.col)
	}
}

// Wide, combining and control characters are not predicted and make the
// following predictions tentative.
func TestPredictionUnpredictableInput(t *testing.T) {
	for _, keys := range []string{"中", "\u0301", "\x03", "\x1bx", "\t"} {
		t.Run(keys, func(t *testing.T) {
			pt := newPredictTest(t, Adaptive, false, 80, 24)
			pt.server("$ ")
			pt.confirm("a")
			before := pt.p.predictionEpoch
			pt.typeKeys(keys)
			if pt.p.predictionEpoch == before {
				t.Errorf("%q did not make predictions tentative", keys)
			}
			pt.typeKeys("b")
			pt.wantRow(0, "$ a")
		})
	}
	// A character split over several reads is still one character to the
	// UTF-8 decoder.
	pt := newPredictTest(t, Experimental, false, 80, 24)
	pt.typeKeys("\xc3")
	pt.typeKeys("\xa9")
	pt.wantRow(0, "é")
	pt.wantCursor(0, 1)
}

func TestPredictionOverwrite(t *testing.T) {
	for _, tc := range []struct {
		overwrite   bool
		typed, bsed string
	}{{false, "$ aXbc", "$ abc"}, {true, "$ aXc", "$ a c"}} {
		pt := newPredictTest(t, Adaptive, tc.overwrite, 80, 24)
		pt.server("$ ")
		pt.confirm("abc")
		pt.typeKeys("\x1b[D\x1b[D")
		pt.wantCursor(0, 3)
		pt.typeKeys("X")
		pt.wantRow(0, tc.typed)
		pt.wantCursor(0, 4)
		pt.typeKeys("\x7f")
		pt.wantRow(0, tc.bsed)
		pt.wantCursor(0, 3)
	}
}

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

func TestPredictionSizeChangeResets(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.confirm("a")
	pt.typeKeys("bc")
	pt.wantRow(0, "$ abc")
	pt.srv.Resize(100, 30)
	pt.frame()
	if pt.p.Active() {
		t.Error("predictions survived a size change")
	}
	pt.wantServerScreen()
	pt.typeKeys("d") // a new epoch, hidden until confirmed
	pt.wantServerScreen()
}

// The client resets the engine for a paste (more than 100 bytes at once).
func TestPredictionResetForPaste(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.confirm("a")
	pt.typeKeys("bc")
	pt.wantRow(0, "$ abc")
	pt.p.Reset()
	pt.frame()
	if pt.p.Active() {
		t.Error("Reset left predictions")
	}
	pt.wantServerScreen()
	pt.typeKeys("d")
	pt.wantServerScreen()
}

// The typed character takes the rendition of its left neighbour, and a
// confirmation passes the server's real rendition on to the rest of the row.
func TestPredictionRendition(t *testing.T) {
	pt := newPredictTest(t, Always, false, 80, 24)
	pt.p.SetSendInterval(20 * time.Millisecond)
	red := term.Rendition{Fg: term.PaletteColor(1)}
	pt.server("$ \x1b[31m")
	pt.confirm("a")
	pt.typeKeys("b") // left neighbour is red
	if got := pt.local.Cell(0, 3).Rendition(); got != red {
		t.Errorf("predicted rendition %+v, want %+v", got, red)
	}
	pt.server("\x1b[32mb") // state 2 is pending; screen shows green 'b'
	pt.typeKeys("c")       // left neighbour: the active prediction (red)
	pt.ack(2)              // 'b' confirmed: the row takes green
	green := term.Rendition{Fg: term.PaletteColor(2)}
	if got := pt.local.Cell(0, 4).Rendition(); got != green {
		t.Errorf("rendition after confirmation %+v, want %+v", got, green)
	}
}

func BenchmarkPredictionKeystroke(b *testing.B) {
	pt := newPredictTest(b, Adaptive, false, 80, 24)
	pt.server("$ ")
	pt.confirm("a")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pt.typeKeys("x")
		pt.echo("x")
		if i%60 == 59 {
			pt.typeKeys("\x15")
			pt.echo("\r$ \x1b[K")
		}
	}
}

// Typing over a character with the same character proves nothing about the
// epoch: the cell showed it before.
func TestPredictionNoCreditForUnchangedCell(t *testing.T) {
	pt := newPredictTest(t, Adaptive, true, 80, 24)
	pt.server("$ abc\x1b[3G")
	pt.typeKeys("a")
	pt.echo("a")
	if pt.p.confirmedEpoch != 0 {
		t.Errorf("unchanged cell confirmed epoch %d", pt.p.confirmedEpoch)
	}
	pt.typeKeys("X")
	pt.echo("X")
	if pt.p.confirmedEpoch == 0 {
		t.Error("a changed cell did not confirm the epoch")
	}
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

// Typing on while the server is silent does not grow the engine without
// bound: each cell remembers each different original only once.
func TestPredictionMemoryBoundedWhileSilent(t *testing.T) {
	pt := newPredictTest(t, Adaptive, false, 80, 24)
	pt.server("$ ")
	for i := range 5000 {
		pt.typeKeys(string(rune('a' + i%3)))
		if i%70 == 69 {
			pt.typeKeys("\x15") // Ctrl-U: the line editor would clear it
		}
	}
	most := 0
	for _, r := range pt.p.rows {
		for _, c := range r.cells {
			most = max(most, len(c.original))
		}
	}
	if most > 4 { // blank, a, b, c
		t.Errorf("a cell remembers %d originals", most)
	}
}
