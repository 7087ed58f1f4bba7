package session

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

var sgrRE = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// historyServer is a server's complete state with the extension on.
func historyServer(ringLines int) (*complete, *term.Emulator) {
	c := newComplete(20, 4)
	emu := term.NewEmulatorFor(c.Framebuffer())
	c.enableHistory(emu, ringLines)
	c.hist.ring = emu.History()
	return c, emu
}

func entryTexts(es []HistoryEntry) []string {
	var out []string
	for _, e := range es {
		if e.Gap > 0 {
			out = append(out, formatGap(e.Gap))
		} else {
			out = append(out, string(e.Text))
		}
	}
	return out
}

// TestHistorySSPProperty: states of a server whose program prints numbered
// lines, diffs between random pairs delivered in a random order with
// duplicates and stale ones, applied as the receiver applies them (only to a
// state it holds, a state once): the client's sink holds every line the
// newest state it holds accounts for, in order, once, with the server's text.
func TestHistorySSPProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		srv, emu := historyServer(10000)
		states := []*complete{srv.Clone()}
		type diff struct {
			from, to int
			b        []byte
		}
		var diffs []diff
		printed := 0
		for range rapid.IntRange(1, 12).Draw(t, "states") {
			for range rapid.IntRange(0, 9).Draw(t, "lines") {
				printed++
				fmt.Fprintf(emu, "\x1b[3%dmL%d\x1b[m\r\n", printed%8, printed)
			}
			srv.advanceHistory(states[rapid.IntRange(0, len(states)-1).Draw(t, "acked")].HistoryNext())
			states = append(states, srv.Clone())
			to := len(states) - 1
			for range rapid.IntRange(1, 3).Draw(t, "diffs") {
				from := rapid.IntRange(0, to-1).Draw(t, "from")
				diffs = append(diffs, diff{from, to, states[to].DiffFrom(states[from])})
			}
		}
		sink := new(historySink)
		held := map[int]*complete{0: newComplete(20, 4)}
		held[0].receiveHistory(sink)
		newest := 0
		for range rapid.IntRange(1, 3*len(diffs)).Draw(t, "deliveries") {
			d := diffs[rapid.IntRange(0, len(diffs)-1).Draw(t, "which")]
			ref, ok := held[d.from]
			if _, have := held[d.to]; !ok || have {
				continue
			}
			s := ref.Clone()
			if err := s.Apply(d.b); err != nil {
				t.Fatalf("apply %d→%d: %v", d.from, d.to, err)
			}
			if s.HistoryNext() != states[d.to].HistoryNext() || !s.Framebuffer().Equal(states[d.to].Framebuffer()) {
				t.Fatalf("state %d rebuilt wrong", d.to)
			}
			held[d.to] = s
			newest = max(newest, d.to)
		}
		got := entryTexts(sink.Take())
		want := []string{}
		for n := range states[newest].HistoryNext() {
			l, _ := emu.History().Line(n)
			want = append(want, string(l.Text))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("sink:\n%q\nwant\n%q", got, want)
		}
		if uint64(len(got)) != states[newest].HistoryNext() || (len(got) > 0 && !strings.Contains(got[0], "L1\x1b")) {
			t.Fatalf("sink holds %d lines, state %d", len(got), states[newest].HistoryNext())
		}
	})
}

// A diff applied twice, or a stale one, adds nothing; a diff whose lines
// the ring dropped carries a gap that stands for them exactly.
func TestHistoryIdempotentAndGap(t *testing.T) {
	srv, emu := historyServer(5)
	s0 := srv.Clone()
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(emu, "L%d\r\n", i)
	}
	srv.advanceHistory(1 << 20)
	s1 := srv.Clone()
	d := s1.DiffFrom(s0)
	ins, err := wire.ParseHostMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	var h wire.History
	for _, in := range ins {
		if in.Kind == wire.HostHistory {
			h = in.History
		}
	}
	// 12 lines on a 4-row screen: 9 scrolled off, the ring kept 5.
	if h.First != 0 || h.Next != 9 || h.Gap() != 4 || len(h.Lines) != 5 {
		t.Fatalf("history %d..%d gap %d lines %d", h.First, h.Next, h.Gap(), len(h.Lines))
	}
	sink := new(historySink)
	c := newComplete(20, 4)
	c.receiveHistory(sink)
	for range 2 {
		c2 := c.Clone()
		if err := c2.Apply(d); err != nil {
			t.Fatal(err)
		}
	}
	got := entryTexts(sink.Take())
	want := []string{"… 4 lines not kept …", "L5", "L6", "L7", "L8", "L9"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if s1.DiffFrom(s1) != nil {
		t.Fatal("a state diffs to something against itself")
	}
}

// The count runs at most historyPerState ahead of what was acknowledged.
func TestHistoryPerStateCap(t *testing.T) {
	srv, emu := historyServer(10000)
	for i := range 1000 {
		fmt.Fprintf(emu, "L%d\r\n", i)
	}
	if !srv.advanceHistory(0) || srv.HistoryNext() != historyPerState {
		t.Fatalf("next %d", srv.HistoryNext())
	}
	if srv.advanceHistory(10000) || srv.HistoryNext() != emu.History().Next() {
		t.Fatalf("next %d, ring %d", srv.HistoryNext(), emu.History().Next())
	}
	srv.advanceHistory(0) // never goes back
	if srv.HistoryNext() != emu.History().Next() {
		t.Fatal("count went back")
	}
}

// A server state without the extension (a stock mosh-client's) never
// carries history, whatever scrolls.
func TestHistoryOffSendsNothing(t *testing.T) {
	c := newComplete(20, 4)
	old := c.Clone()
	emuWrite(c, []byte(strings.Repeat("x\r\n", 50)))
	c.advanceHistory(0)
	ins, err := wire.ParseHostMessage(c.DiffFrom(old))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		if in.Kind == wire.HostHistory {
			t.Fatal("history without the extension")
		}
	}
}

// The text of every history line passes the client's decoder, whatever the
// program printed (controls become U+FFFD, colours stay palette colours).
func TestHistoryTextValidProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := term.NewEmulator(rapid.IntRange(1, 30).Draw(t, "w"), 2)
		e.SetHistory(term.NewHistory(100, 1<<20))
		e.Write(rapid.SliceOf(rapid.Byte()).Draw(t, "out"))
		e.Write([]byte("\x1b[?1049l\x1b[r\x1b[2;1H\n\n\n"))
		h := e.History()
		for n := h.First(); n < h.Next(); n++ {
			l, _ := h.Line(n)
			if err := wire.ValidHistoryText(l.Text); err != nil {
				t.Fatalf("line %d %q: %v", n, l.Text, err)
			}
		}
	})
}

// appendHistoryOut, played into an emulator keeping its own history (the
// user's terminal), puts exactly the entries into that history, in order,
// without a full-screen clear, and leaves a screen the next frame redraws
// to the server's.
func TestHistoryOutIntoTerminal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, h := rapid.IntRange(2, 30).Draw(t, "w"), rapid.IntRange(2, 10).Draw(t, "h")
		user := term.NewEmulator(w, h)
		user.SetHistory(term.NewHistory(10000, 1<<30))
		display := term.Display{HasECH: true, HasBCE: true}
		// The session's screen as the client drew it.
		screen := term.NewEmulator(w, h)
		screen.Write([]byte(fmt.Sprintf("\x1b[44mtop\x1b[m\x1b[%d;1Hbottom\x1b[2;2H", h)))
		local := screen.Framebuffer().Clone()
		user.Write(display.NewFrame(false, term.NewFramebuffer(w, h), local))
		before := user.History().Next()

		var entries []HistoryEntry
		var want []string
		for i := range rapid.IntRange(1, 25).Draw(t, "n") {
			if rapid.IntRange(0, 5).Draw(t, "gap") == 0 {
				entries = append(entries, HistoryEntry{N: uint64(i), Gap: 3})
				want = append(want, formatGap(3))
				continue
			}
			text := fmt.Sprintf("H%d", i)
			entries = append(entries, HistoryEntry{N: uint64(i), Text: []byte("\x1b[0;31m" + text + "\x1b[0m")})
			want = append(want, text)
		}
		out, blank := appendHistoryOut(nil, entries, local)
		if bytes.Contains(out, []byte("\x1b[2J")) || bytes.Contains(out, []byte("\x1b[J")) || bytes.Contains(out, []byte("\x1b[0J")) {
			t.Fatalf("full-screen clear in %q", out)
		}
		user.Write(out)
		next := screen.Framebuffer().Clone()
		user.Write(display.NewFrame(true, blank, next))

		hist := user.History()
		var got []string
		for n := before; n < hist.Next(); n++ {
			l, _ := hist.Line(n)
			got = append(got, strings.TrimRight(sgrRE.ReplaceAllString(string(l.Text), ""), " "))
		}
		for i := range want {
			if r := []rune(want[i]); len(r) > w {
				want[i] = strings.TrimRight(string(r[:w]), " ") // cut at the margin
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("terminal history %q, want %q", got, want)
		}
		if l, ok := hist.Line(before); ok && !strings.HasPrefix(want[0], "…") && !bytes.HasPrefix(l.Text, []byte("\x1b[0;31mH")) {
			t.Fatalf("colour lost: %q", l.Text)
		}
		if !user.Framebuffer().Equal(next) {
			t.Fatal("screen after the redraw differs from the session's")
		}
	})
}

// serveHistory runs Serve with argv for a client that offers features,
// collecting history when it offers scrollback; it returns the client's
// last state and the entries received.
func serveHistory(t *testing.T, features uint64, argv ...string) (*complete, []HistoryEntry) {
	t.Helper()
	srvConn, cliConn := netem.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ct, cliPath, served := servePair(t, ctx, srvConn, cliConn, srvConn.LocalAddr(), argv...)
	sink := new(historySink)
	ct.Remote().receiveHistory(sink)
	ct.Current().Offer(features)
	ct.Current().PushResize(80, 24)
	pump := &roam.Pump[*userStream, *complete]{
		Transport: ct, Path: cliPath,
		Done: func(time.Time) bool { return ct.CounterpartyShutdownAckSent() },
	}
	if err := pump.Run(ctx); err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	return ct.Remote(), sink.Take()
}

// Our server sends every line that scrolled off to a client that offered
// scrollback, in order, once, beyond the per-state bound; and nothing to
// one that did not (every stock mosh-client).
func TestServerSendsHistory(t *testing.T) {
	last, got := serveHistory(t, wire.FeatureScrollback, "sh", "-c", "seq -f L%05g 1 1000")
	// 1000 lines and the cursor's empty row on a 24-row screen.
	if last.HistoryNext() != 977 || len(got) != 977 {
		t.Fatalf("history next %d, %d entries", last.HistoryNext(), len(got))
	}
	for i, e := range got {
		if want := fmt.Sprintf("L%05d", i+1); e.Gap != 0 || string(e.Text) != want {
			t.Fatalf("entry %d = %+v, want %s", i, e, want)
		}
	}
	last, got = serveHistory(t, wire.FeatureExitStatus, "sh", "-c", "seq -f L%05g 1 100")
	if last.HistoryNext() != 0 || len(got) != 0 {
		t.Fatalf("unasked: history next %d, %d entries", last.HistoryNext(), len(got))
	}
}

// A program on the alternate screen adds no history.
func TestServerHistoryAltScreen(t *testing.T) {
	last, got := serveHistory(t, wire.FeatureScrollback, "sh", "-c", "printf '\\033[?1049h'; seq 1 100; printf '\\033[?1049l'")
	if last.HistoryNext() != 0 || len(got) != 0 {
		t.Fatalf("history next %d, %d entries", last.HistoryNext(), len(got))
	}
}

// After a resize (or a repaint), the client erases row by row and the
// display then redraws without a full-screen clear.
func TestHistoryEraseForResize(t *testing.T) {
	display := term.Display{HasECH: true, HasBCE: true}
	old := term.NewEmulator(20, 5)
	old.Write([]byte("old screen\r\nline 2"))
	next := term.NewEmulator(30, 7)
	next.Write([]byte("\x1b[32mnew\x1b[m screen\r\nrow 2"))
	user := term.NewEmulator(30, 7)
	user.Write([]byte("old screen\r\nline 2"))
	out, blank := appendEraseFor(nil, old.Framebuffer(), next.Framebuffer())
	out = display.AppendNewFrame(out, true, blank, next.Framebuffer())
	if bytes.Contains(out, []byte("\x1b[2J")) || bytes.Contains(out, []byte("\x1b[J")) {
		t.Fatalf("full-screen clear in %q", out)
	}
	user.Write(out)
	if !user.Framebuffer().Equal(next.Framebuffer()) {
		t.Fatal("the terminal does not show the new screen")
	}
}

// A client that takes the session over (a new transport whose reference
// state is blank, on the same screen and emulator) gets the ring from its
// oldest line, in bounded steps, with the lines the ring dropped as a gap.
func TestHistoryReattachStreamsTheRing(t *testing.T) {
	srv, emu := historyServer(100)
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(emu, "L%d\r\n", i)
	}
	ring := emu.History()
	again := &complete{fb: srv.Framebuffer()}
	again.enableHistory(emu, 100)
	if emu.History() != ring || again.HistoryNext() != ring.First() {
		t.Fatalf("new ring or next %d, want the old ring from %d", again.HistoryNext(), ring.First())
	}
	ref := newComplete(20, 4)
	sink := new(historySink)
	ref.receiveHistory(sink)
	for again.advanceHistory(ref.HistoryNext()) || again.HistoryNext() > ref.HistoryNext() {
		next := ref.Clone()
		if err := next.Apply(again.Clone().DiffFrom(ref)); err != nil {
			t.Fatal(err)
		}
		ref = next
	}
	got := entryTexts(sink.Take())
	if len(got) != 101 || got[0] != formatGap(ring.First()) || got[1] != fmt.Sprintf("L%d", ring.First()+1) || got[100] != "L497" {
		t.Fatalf("%d entries: %q … %q", len(got), got[:2], got[len(got)-1])
	}
}

// The count runs at most historyBytesPerState bytes of text ahead of what
// was acknowledged (one line more when a single line is larger), so wide
// colourful lines do not make a frame of megabytes; the rest follows as
// acknowledgements arrive, and every line arrives once, in order.
func TestHistoryBytesPerStateCap(t *testing.T) {
	c := newComplete(400, 4)
	emu := term.NewEmulatorFor(c.Framebuffer())
	c.enableHistory(emu, 10000)
	// 400 columns, each in its own colour: about 6 KB of text a line.
	var line strings.Builder
	for i := range 400 {
		fmt.Fprintf(&line, "\x1b[38;5;%dm%c", i%256, 'a'+i%26)
	}
	for range 100 {
		emu.Write([]byte(line.String() + "\x1b[m\r\n"))
	}
	ring := emu.History()
	var acked uint64
	rounds := 0
	for c.advanceHistory(acked) || acked < c.HistoryNext() {
		sum := 0
		for n := acked; n < c.HistoryNext(); n++ {
			l, _ := ring.Line(n)
			sum += len(l.Text)
		}
		if lines := c.HistoryNext() - acked; lines > 1 && sum > historyBytesPerState {
			t.Fatalf("a state runs %d bytes (%d lines) ahead of the acknowledged one", sum, lines)
		}
		if c.HistoryNext() == acked {
			t.Fatal("no progress")
		}
		acked = c.HistoryNext()
		rounds++
	}
	if acked != ring.Next() || rounds < 10 {
		t.Fatalf("acked %d of %d lines in %d rounds", acked, ring.Next(), rounds)
	}
	// One line larger than the budget still goes, alone.
	huge := strings.Repeat("\x1b[1;38;2;1;2;3mx\x1b[0;38;2;4;5;6my", 1500) // 3000 cells, a colour change at each
	c2 := newComplete(3000, 4)
	emu2 := term.NewEmulatorFor(c2.Framebuffer())
	c2.enableHistory(emu2, 10)
	emu2.Write([]byte(huge + "\x1b[m\r\n\r\n\r\n\r\n\r\n"))
	if l, _ := emu2.History().Line(0); len(l.Text) <= historyBytesPerState {
		t.Fatalf("line 0 is only %d bytes", len(l.Text))
	}
	c2.advanceHistory(0)
	if c2.HistoryNext() < 1 {
		t.Fatal("a line larger than the budget never goes")
	}
}

// closeHistory, for a session ending with more history unsent than one
// state may carry: the state accounts for every line, the newest lines
// that fit the bounds stay, and the older unsent ones go as one gap.
func TestCloseHistoryKeepsNewestWithinBounds(t *testing.T) {
	srv, emu := historyServer(10000)
	for i := range 3000 {
		fmt.Fprintf(emu, "L%05d %s\r\n", i, strings.Repeat("x", 12))
	}
	acked := srv.Clone()
	acked.advanceHistory(0)
	first := acked.DiffFrom(newComplete(20, 4)) // what the client got and acknowledged
	srv.closeHistory(acked.HistoryNext())
	ring := emu.History()
	if srv.HistoryNext() != ring.Next() {
		t.Fatalf("next %d, ring %d", srv.HistoryNext(), ring.Next())
	}
	sink := new(historySink)
	cli := newComplete(20, 4)
	cli.receiveHistory(sink)
	for _, d := range [][]byte{first, srv.DiffFrom(acked)} {
		if err := cli.Apply(d); err != nil {
			t.Fatal(err)
		}
	}
	got := sink.Take()
	bytes, lines, gaps := 0, 0, 0
	for i, e := range got[:acked.HistoryNext()] {
		if e.Gap != 0 || e.N != uint64(i) {
			t.Fatalf("acknowledged entry %d = %+v", i, e)
		}
	}
	for _, e := range got[acked.HistoryNext():] {
		if e.Gap > 0 {
			gaps++
			continue
		}
		bytes += len(e.Text)
		lines++
	}
	last := got[len(got)-1]
	if gaps != 1 || lines != historyPerState || bytes > historyBytesPerState {
		t.Fatalf("after the acknowledged lines: %d gaps, %d lines, %d bytes", gaps, lines, bytes)
	}
	if last.N != ring.Next()-1 || string(last.Text) != fmt.Sprintf("L%05d %s", last.N, strings.Repeat("x", 12)) {
		t.Fatalf("last entry %+v, want line %d", last, ring.Next()-1)
	}
}
