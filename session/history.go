package session

import (
	"fmt"
	"unicode/utf8"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// The scrollback extension (docs/PROTOCOL-EXTENSIONS.md): our client offers
// wire.FeatureScrollback; our server, having seen the offer, keeps a
// term.History of its emulator and puts its line count into every complete
// state. A diff then carries the lines its reference state lacks, and the
// client writes them into its terminal's own scrollback once each.
//
// The count is part of the state, so a diff is idempotent like the rest of
// a complete diff: the client's sink takes each line number at most once,
// whatever diffs arrive twice or are superseded. A stock mosh-client never
// offers, so its states keep count 0 and no diff carries history.

// historyPerState and historyBytesPerState bound how far a new state's
// count may run ahead of the state the client acknowledged: a diff from
// the acknowledged state then carries at most this many lines and about
// this many bytes of their text (one line more if a single line is larger),
// so a flood of output, or of very wide colourful lines, keeps history to
// a bounded share of every frame and the screen goes first. 10,000 typical
// lines arrive in 40 round trips.
const (
	historyPerState      = 256
	historyBytesPerState = 48 << 10
)

// historyState is the history part of a complete state.
type historyState struct {
	// on says the server answered the offer: every state from the one
	// that enabled the extension has it, and a diff from a state without
	// it carries a history instruction even with no lines, so the client
	// learns at once that history will come.
	on bool
	// next is the number of history lines this state accounts for.
	next uint64
	// ring is the server's live history (nil on a client, and on a server
	// whose client did not offer scrollback). Lines below next never
	// change, so a diff made later reads the same lines, or finds them
	// dropped, which it then reports as a gap.
	ring *term.History
	// sink receives the lines on a client (nil on a server); one sink is
	// shared by all the states the client holds.
	sink *historySink
}

// appendDiff appends the history instruction when c accounts for lines
// existing does not.
func (h historyState) appendDiff(ins []wire.HostInstruction, existing historyState) []wire.HostInstruction {
	if h.ring == nil || (h.next <= existing.next && existing.on) {
		return ins
	}
	hist := wire.History{First: existing.next, Next: h.next}
	from := max(existing.next, h.ring.First())
	for n := from; n < h.next; n++ {
		l, _ := h.ring.Line(n) // kept: from ≥ First and the ring does not change meanwhile
		hist.Lines = append(hist.Lines, wire.HistoryLine{N: n, Text: l.Text, Wrap: l.Wrap})
	}
	return append(ins, wire.HostInstruction{Kind: wire.HostHistory, History: hist})
}

// HistoryEntry is one entry for the client's terminal: a line of history
// (Text, SGR and printable UTF-8), or, when Gap is non-zero, that many lines
// the server did not keep.
type HistoryEntry struct {
	N    uint64
	Text []byte
	Gap  uint64
}

// historySink collects, in order and once each, the history lines the
// client's states received, until the client writes them out.
type historySink struct {
	answered bool   // the server sent a history instruction
	next     uint64 // lines accounted for (written, pending or gaps)
	pending  []HistoryEntry
	bytes    int
}

// maxSinkBytes bounds what a client holds before writing: a hostile or
// runaway server cannot make it grow past that; the oldest pending lines
// become a gap.
const maxSinkBytes = 8 << 20

// take adds what h carries beyond what the sink has.
func (s *historySink) take(h wire.History) {
	s.answered = true
	for _, l := range h.Lines {
		if l.N < s.next {
			continue
		}
		if l.N > s.next {
			s.add(HistoryEntry{N: s.next, Gap: l.N - s.next})
		}
		s.add(HistoryEntry{N: l.N, Text: append([]byte(nil), l.Text...)})
		s.next = l.N + 1
	}
	if h.Next > s.next {
		s.add(HistoryEntry{N: s.next, Gap: h.Next - s.next})
		s.next = h.Next
	}
}

func (s *historySink) add(e HistoryEntry) {
	s.pending = append(s.pending, e)
	s.bytes += len(e.Text)
	for s.bytes > maxSinkBytes && len(s.pending) > 1 {
		old := s.pending[0]
		s.bytes -= len(old.Text)
		gap := max(old.Gap, 1)
		if s.pending[1].Gap > 0 {
			s.pending[1].Gap += gap
			s.pending[1].N = old.N
			s.pending = s.pending[1:]
		} else {
			s.pending[0] = HistoryEntry{N: old.N, Gap: gap}
		}
	}
}

// Take returns the entries received since the last call, in order.
func (s *historySink) Take() []HistoryEntry {
	p := s.pending
	s.pending, s.bytes = nil, 0
	return p
}

// enableHistory turns the extension on for a server state: the emulator
// keeps a ring of lines lines (the ring it already has, if a client before
// this one asked for it).
func (c *complete) enableHistory(emu *term.Emulator, lines int) {
	if c.hist.ring != nil || lines <= 0 {
		return
	}
	h := emu.History()
	if h == nil {
		h = term.NewHistory(lines, term.DefaultHistoryBytes)
		emu.SetHistory(h)
	}
	// A client that re-attaches (a new transport on the same screen)
	// gets the ring from its oldest line, streamed like new lines; lines
	// the ring no longer has are a gap. For the session's first client
	// the ring is new and First is Next.
	c.hist.ring, c.hist.on = h, true
	c.hist.next = h.First()
}

// advanceHistory raises the state's line count towards the ring's, at most
// historyPerState lines and historyBytesPerState bytes ahead of acked (the
// count the client acknowledged); lines the ring has dropped cost nothing,
// as they travel as a gap. It reports whether lines remain to be sent.
func (c *complete) advanceHistory(acked uint64) bool {
	ring := c.hist.ring
	if ring == nil {
		return false
	}
	first := min(max(acked, ring.First()), ring.Next())
	// Dropped lines between acked and first count towards the lines.
	limit := min(ring.Next()-first, historyPerState-min(first-acked, historyPerState))
	target := first + linesWithinBudget(ring, first, false, limit)
	c.hist.next = max(c.hist.next, target)
	return c.hist.next < ring.Next()
}

// linesWithinBudget counts the lines of ring from n on (backwards with
// back) that one state may carry: at most limit, and at most
// historyBytesPerState bytes of text, but the first line whatever its size.
func linesWithinBudget(ring *term.History, n uint64, back bool, limit uint64) uint64 {
	budget := historyBytesPerState
	var count uint64
	for ; count < limit; count++ {
		l, _ := ring.Line(n)
		if len(l.Text) > budget && count > 0 {
			break
		}
		budget -= len(l.Text)
		if back {
			n--
		} else {
			n++
		}
	}
	return count
}

// historyPending reports whether the ring holds lines beyond acked, the
// count the client acknowledged.
func (c *complete) historyPending(acked uint64) bool {
	return c.hist.ring != nil && acked < c.hist.ring.Next()
}

// closeHistory makes the state account for every line of the ring, for
// the last state of a session whose history could not all be sent: of the
// lines beyond acked, the newest that fit one state's bounds stay, and the
// older ones are dropped from the ring, so the diff carries them as a gap
// ("… N lines not kept …") rather than as one instruction too large to
// cross the network (its fragments would overflow the client's receive
// buffer, and the session's end would never arrive).
func (c *complete) closeHistory(acked uint64) {
	ring := c.hist.ring
	if ring == nil {
		return
	}
	first := min(max(acked, ring.First()), ring.Next())
	limit := min(ring.Next()-first, historyPerState)
	keep := ring.Next() - linesWithinBudget(ring, ring.Next()-1, true, limit)
	ring.DropBefore(keep)
	c.hist.next = max(c.hist.next, ring.Next())
}

// HistoryNext is the state's line count.
func (c *complete) HistoryNext() uint64 { return c.hist.next }

// receiveHistory makes a client state collect history into sink.
func (c *complete) receiveHistory(sink *historySink) { c.hist.sink = sink }

// appendCut appends text (printable UTF-8 and SGR, as wire.ValidHistoryText
// checks) cut to width columns: a line wider than the terminal (which was
// narrower than the server's screen for a moment) keeps its start, as a
// terminal without autowrap would not (it overwrites the last column).
func appendCut(out, text []byte, width int) []byte {
	col := 0
	for i := 0; i < len(text); {
		if text[i] == 0x1b { // an SGR: copy it whole
			j := i + 1
			for j < len(text) && text[j] != 'm' {
				j++
			}
			out = append(out, text[i:min(j+1, len(text))]...)
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		w := max(term.Width(r), 0)
		if r < utf8.RuneSelf {
			w = 1
		}
		if col+w > width {
			break
		}
		col += w
		out = append(out, text[i:i+size]...)
		i += size
	}
	return out
}

// formatGap is the line standing for n lines the server did not keep.
func formatGap(n uint64) string {
	if n == 1 {
		return "… 1 line not kept …"
	}
	return fmt.Sprintf("… %d lines not kept …", n)
}

// appendHistoryOut appends what puts entries into the terminal's own
// scrollback, for a terminal that shows last on a width×height screen
// outside the alternate screen, and returns the state the terminal is in
// afterwards: last's modes, cursor and rendition on a blank screen, so
// that the next frame redraws every cell.
//
// No full-screen clear is used (tmux's scroll-on-clear, VTE and iTerm2
// would push the screen into the scrollback too, and lines would appear
// twice). Instead the lines are written from the top row down with
// autowrap off (one row each, cut at the margin) and newlines at the
// bottom push them off the top; then the rows are erased one by one.
func appendHistoryOut(out []byte, entries []HistoryEntry, last *term.Framebuffer) ([]byte, *term.Framebuffer) {
	h := last.Height()
	out = append(out, "\x1b[r\x1b[?7l\x1b[0m\x1b[H"...)
	for i, e := range entries {
		if i > 0 {
			out = append(out, "\r\n"...)
		}
		// Erase first: an erase after the text would also take the last
		// character of a full row (the cursor stays on the last column).
		out = append(out, "\x1b[2K"...)
		text := e.Text
		if e.Gap > 0 {
			text = []byte(formatGap(e.Gap))
		}
		out = appendCut(out, text, last.Width())
		out = append(out, "\x1b[0m"...)
	}
	// Rows 0..min(len, h)-1 hold the last lines written: push them too.
	out = fmt.Appendf(out, "\x1b[%d;1H", h)
	for range min(len(entries), h) {
		out = append(out, '\n')
	}
	for y := h; y >= 1; y-- {
		out = fmt.Appendf(out, "\x1b[%d;1H\x1b[2K", y)
	}
	out = append(out, "\x1b[?7h"...)
	out = last.Rendition().AppendSGR(out)
	return out, blankScreen(last)
}

// blankScreen is last with every cell empty and the cursor home: what the
// terminal shows after the rows were erased and the cursor sent home.
func blankScreen(last *term.Framebuffer) *term.Framebuffer {
	blank := last.Clone()
	for y := range blank.Height() {
		for x := range blank.Width() {
			blank.SetCell(y, x, term.Cell{})
		}
	}
	blank.SetCursor(0, 0)
	return blank
}

// appendEraseFor appends what erases the terminal's screen row by row,
// without a full-screen clear (see appendHistoryOut), and returns a blank
// screen of next's size with last's modes: a frame drawn from it to next
// is then a full redraw.
func appendEraseFor(out []byte, last, next *term.Framebuffer) ([]byte, *term.Framebuffer) {
	out = append(out, "\x1b[r\x1b[0m"...)
	for y := max(last.Height(), next.Height()); y >= 1; y-- {
		out = fmt.Appendf(out, "\x1b[%d;1H\x1b[2K", y)
	}
	out = last.Rendition().AppendSGR(out)
	blank := blankScreen(last)
	blank.Resize(next.Width(), next.Height())
	return out, blank
}

// appendLeaveAltScreen appends what takes the client out of the alternate
// screen once the server answered the scrollback offer: the terminal's
// own screen comes back (what was there before the session), is pushed
// whole into its scrollback by newlines at the bottom (a clear would lose
// it in most terminals and push it twice in some), and the rows are
// erased; the next frame then draws the session on the normal screen.
func appendLeaveAltScreen(out []byte, last *term.Framebuffer) ([]byte, *term.Framebuffer) {
	h := last.Height()
	out = fmt.Appendf(out, "\x1b[?1049l\x1b[r\x1b[0m\x1b[%d;1H", h)
	for range h {
		out = append(out, '\n')
	}
	for y := h; y >= 1; y-- {
		out = fmt.Appendf(out, "\x1b[%d;1H\x1b[2K", y)
	}
	out = last.Rendition().AppendSGR(out)
	return out, blankScreen(last)
}
