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
