package session

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// Fuzz targets for roam.Transport.Recv with the production states, over
// sequences of datagrams: a genuine sender makes a history of states and
// the fuzzer decides what reaches the receiver and when — in order or not,
// twice or never, cut short or bit-flipped, with or without acks going
// back (which moves the sender's throwaway number) — plus, when allowed,
// instructions it forges itself with the session key. The laws:
//
//   - no panic, and every refusal wraps one of Recv's sentinel errors;
//   - as long as only the genuine sender's datagrams were accepted, the
//     receiver never holds a state the sender did not have: for the user
//     stream, what the server hands to the pty (the RemoteDiffs, in order)
//     is a prefix of the keys and resizes the client pushed; for the
//     screen, every newest state equals one the server sent;
//   - memory is bounded: the receiver holds at most the queue limit plus
//     one state per quench period elapsed, and the stream no more events
//     than were sent.

// fuzzProgram reads the fuzzer's bytes as a sequence of operations.
type fuzzProgram struct {
	b []byte
}

func (p *fuzzProgram) next() (byte, bool) {
	if len(p.b) == 0 {
		return 0, false
	}
	c := p.b[0]
	p.b = p.b[1:]
	return c, true
}

func (p *fuzzProgram) byteOr0() byte {
	c, _ := p.next()
	return c
}

func (p *fuzzProgram) bytes(n int) []byte {
	n = min(n, len(p.b))
	out := p.b[:n]
	p.b = p.b[n:]
	return out
}

// Operations of a program (the op byte modulo opCount).
const (
	opPush    = iota // sender's state changes: n bytes follow
	opResize         // sender's state changes size: w, h follow
	opTick           // time passes (byte × 5 ms) and the sender sends
	opDeliver        // one sent datagram (index byte) reaches the receiver
	opAcks           // the receiver's replies reach the sender
	opCorrupt        // a sent datagram with one byte flipped or cut short
	opForge          // an instruction the fuzzer builds, sealed with the key
	opJunk           // bytes that are no datagram at all
	opCount
)

// maxPool bounds the datagrams kept for later delivery.
const maxPool = 4096

// transportRig is a sender and a receiver transport of one direction and
// the datagrams in flight between them.
type transportRig[S roam.State[S], R roam.State[R]] struct {
	t        *testing.T
	now      time.Time
	start    time.Time
	sender   *roam.Transport[S, R]
	receiver *roam.Transport[R, S]
	pool     [][]byte
	key      wire.Key
	sealer   *wire.Session
	toRecv   wire.Direction
	forgeSeq uint64
	// forged: a forged instruction was accepted, so the receiver may
	// rightly hold states the sender never had.
	forged bool
}

func (r *transportRig[S, R]) tick(ms byte) {
	r.now = r.now.Add(time.Duration(ms) * 5 * time.Millisecond)
	out, err := r.sender.Tick(r.now)
	if err != nil {
		r.t.Fatalf("sender Tick: %v", err)
	}
	for _, d := range out {
		if len(r.pool) < maxPool {
			r.pool = append(r.pool, d)
		}
	}
}

// recv delivers one datagram and checks the error contract.
func (r *transportRig[S, R]) recv(dg []byte) (roam.RecvInfo, error) {
	info, err := r.receiver.Recv(dg, r.now, false)
	if err != nil {
		for _, e := range []error{roam.ErrUnauthentic, roam.ErrWrongDirection, roam.ErrMalformed, roam.ErrProtocol, roam.ErrReplayed} {
			if errors.Is(err, e) {
				return info, err
			}
		}
		r.t.Fatalf("Recv error without a sentinel: %v", err)
	}
	return info, nil
}

func (r *transportRig[S, R]) acks() {
	out, err := r.receiver.Tick(r.now)
	if err != nil {
		r.t.Fatalf("receiver Tick: %v", err)
	}
	for _, d := range out {
		if _, err := r.sender.Recv(d, r.now, false); err != nil {
			r.t.Fatalf("the sender refused the receiver's genuine reply: %v", err)
		}
	}
}

func (r *transportRig[S, R]) pick(p *fuzzProgram) []byte {
	if len(r.pool) == 0 {
		return nil
	}
	i := int(p.byteOr0())<<8 | int(p.byteOr0())
	return r.pool[i%len(r.pool)]
}

// forge builds an instruction with fuzzer-chosen numbers and diff, in one
// fragment, sealed for the receiver.
func (r *transportRig[S, R]) forge(p *fuzzProgram) {
	num := func() uint64 {
		c := p.byteOr0()
		if c == 0xff {
			return ^uint64(0)
		}
		return uint64(c)
	}
	in := wire.Instruction{ProtocolVersion: wire.ProtocolVersion, OldNum: num(), NewNum: num(), AckNum: num(), ThrowawayNum: num()}
	in.Diff = p.bytes(int(p.byteOr0()))
	payload := wire.Compress(in.AppendMarshal(nil))
	f := wire.Fragment{ID: 1<<40 + r.forgeSeq, Final: true, Data: payload}
	plain := f.AppendMarshal(wire.Packet{Timestamp: 1, TimestampReply: wire.NoTimestamp}.AppendMarshal(nil))
	r.forgeSeq++
	if _, err := r.recv(r.sealer.Seal(nil, r.toRecv, 1<<50+r.forgeSeq, plain)); err == nil {
		r.forged = true
	}
}

// step runs one operation that is the same for both directions; it
// reports false for the direction-specific ones.
func (r *transportRig[S, R]) step(op byte, p *fuzzProgram, allowForge bool) (roam.RecvInfo, bool) {
	var info roam.RecvInfo
	switch op {
	case opTick:
		r.tick(p.byteOr0())
	case opDeliver:
		if dg := r.pick(p); dg != nil {
			info, _ = r.recv(dg)
		}
	case opAcks:
		r.acks()
	case opCorrupt:
		if dg := r.pick(p); dg != nil {
			bad := append([]byte(nil), dg...)
			at := int(p.byteOr0()) % len(bad)
			if flip := p.byteOr0(); flip == 0 {
				bad = bad[:at]
			} else {
				bad[at] ^= flip
			}
			if _, err := r.recv(bad); err == nil {
				r.t.Fatalf("accepted a damaged datagram")
			}
		}
	case opForge:
		if allowForge {
			r.forge(p)
		}
	case opJunk:
		if _, err := r.recv(p.bytes(int(p.byteOr0()))); err == nil {
			r.t.Fatalf("accepted junk")
		}
	default:
		return info, false
	}
	return info, true
}

// bounded checks the receiver's queue against the limit.
func (r *transportRig[S, R]) bounded() {
	quenches := int(r.now.Sub(r.start)/(15*time.Second)) + 1
	if held := r.receiver.RemoteStatesHeld(); held > 1024+1+quenches {
		r.t.Fatalf("receiver holds %d states after %v", held, r.now.Sub(r.start))
	}
}

func newRig[S roam.State[S], R roam.State[R]](t *testing.T, s S, rs R, toRecv wire.Direction) *transportRig[S, R] {
	key, err := wire.ParseKey("AAAAAAAAAAAAAAAAAAAAAA")
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := wire.NewSession(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_000_000, 0)
	senderSide, receiverSide := roam.Client, roam.Server
	if toRecv == wire.ToClient {
		senderSide, receiverSide = roam.Server, roam.Client
	}
	snd, err := roam.NewTransport(senderSide, key, s, rs, now, roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rcv, err := roam.NewTransport(receiverSide, key, rs.Clone(), s.Clone(), now, roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &transportRig[S, R]{t: t, now: now, start: now, sender: snd, receiver: rcv, key: key, sealer: sealer, toRecv: toRecv}
}

// FuzzTransportUserStream: the client's keystrokes and resizes reach a
// server transport through the fuzzer's network.
func FuzzTransportUserStream(f *testing.F) {
	for _, s := range userStreamSeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, prog []byte, allowForge bool) { runUserStreamProgram(t, prog, allowForge) })
}

// runUserStreamProgram runs one program of FuzzTransportUserStream and
// returns the rig and the events the server delivered.
func runUserStreamProgram(t *testing.T, prog []byte, allowForge bool) (*transportRig[*userStream, *complete], []userEvent, int) {
	{
		r := newRig(t, newUserStream(), newComplete(80, 24), wire.ToServer)
		maxHeld := 0
		var history []userEvent // every event the client pushed, in order
		var delivered userStream
		p := &fuzzProgram{b: prog}
		for {
			c, ok := p.next()
			if !ok {
				break
			}
			op := c % opCount
			info, done := r.step(op, p, allowForge)
			switch {
			case done:
			case op == opPush:
				keys := p.bytes(int(p.byteOr0()) % 64)
				r.sender.Current().PushKeys(keys)
				for _, k := range keys {
					history = append(history, userEvent{Byte: k})
				}
			case op == opResize:
				w, h := int(p.byteOr0()), int(p.byteOr0())
				r.sender.Current().PushResize(w, h)
				history = append(history, userEvent{Resize: true, Width: clampDim(w), Height: clampDim(h)})
			}
			if info.NewState || op == opDeliver {
				// The server's loop: apply what is new since last time.
				if err := delivered.Apply(r.receiver.RemoteDiff()); err != nil {
					t.Fatalf("RemoteDiff does not apply: %v", err)
				}
			}
			if !r.forged {
				got := delivered.Events()
				if len(got) > len(history) {
					t.Fatalf("delivered %d events, the client pushed %d", len(got), len(history))
				}
				for i := range got {
					if got[i] != history[i] {
						t.Fatalf("event %d delivered as %+v, pushed as %+v", i, got[i], history[i])
					}
				}
			}
			r.bounded()
			maxHeld = max(maxHeld, r.receiver.RemoteStatesHeld())
		}
		return r, delivered.Events(), maxHeld
	}
}

// FuzzTransportComplete: the server's screens reach a client transport
// through the fuzzer's network. A screen "the server had" is compared as
// term's display law compares it, by what a viewer sees (sameView): the
// display writes some cells in a form that looks the same but is stored
// differently (term/display_view_test.go says which).
func FuzzTransportComplete(f *testing.F) {
	for _, s := range completeSeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, prog []byte, allowForge bool) { runCompleteProgram(t, prog, allowForge) })
}

// runCompleteProgram runs one program of FuzzTransportComplete and returns
// the rig.
func runCompleteProgram(t *testing.T, prog []byte, allowForge bool) *transportRig[*complete, *userStream] {
	{
		r := newRig(t, newComplete(80, 24), newUserStream(), wire.ToClient)
		// A server speaks once a client has: the client's first datagram.
		r.acks()
		emu := term.NewEmulatorFor(r.sender.Current().Framebuffer())
		history := []*complete{r.sender.Current().Clone()} // every state the server had when it sent
		verifiable := true
		p := &fuzzProgram{b: prog}
		for {
			c, ok := p.next()
			if !ok {
				break
			}
			op := c % opCount
			if op == opTick {
				if why := unrepresentable(r.sender.Current()); why != "" {
					// No client can show it (term's display law excludes
					// it too); later screens are diffs against it.
					verifiable = false
				}
				history = append(history, r.sender.Current().Clone())
				if len(history) > 64 {
					// Bound the check's own cost; states older than the
					// sender's queue cannot reappear anyway.
					history = history[len(history)-64:]
				}
			}
			info, done := r.step(op, p, allowForge)
			switch {
			case done:
			case op == opPush:
				_, _ = emu.Write(p.bytes(int(p.byteOr0()) % 64))
				_ = emu.TakeAnswers()
				if ack := p.byteOr0(); ack&1 == 1 {
					r.sender.Current().SetEchoAck(r.sender.Current().EchoAck() + uint64(ack>>1))
				}
			case op == opResize:
				emu.Resize(saneSize(int(p.byteOr0())+1, int(p.byteOr0())%64+1))
			}
			if info.NewState && !r.forged && verifiable {
				got := r.receiver.Remote()
				found := false
				for i := len(history) - 1; i >= 0 && !found; i-- {
					found = sameView(got, history[i])
				}
				if !found {
					t.Fatalf("the client holds a screen the server never sent; against the newest sent: %s",
						describeDiff(got, history[len(history)-1]))
				}
			}
			_ = r.receiver.RemoteDiff()
			r.bounded()
		}
		return r
	}
}

// userStreamSeeds are programs a real session makes: typing with acks,
// loss and reordering, a paste larger than one datagram, and forgeries.
func userStreamSeeds() [][]byte {
	typing := []byte{opResize, 80, 24, opTick, 10, opDeliver, 0, 0, opAcks}
	for i := range 20 {
		typing = append(typing, opPush, 1, byte('a'+i), opTick, 10, opDeliver, 0, byte(i+1), opAcks)
	}
	reorder := []byte{opPush, 3, 'a', 'b', 'c', opTick, 10, opPush, 2, 'd', 'e', opTick, 10,
		opDeliver, 0, 1, opDeliver, 0, 0, opDeliver, 0, 1, opCorrupt, 0, 0, 5, 1, opAcks, opTick, 200, opDeliver, 0, 2}
	paste := []byte{opPush, 63}
	for i := range 63 {
		paste = append(paste, byte(' '+i))
	}
	paste = append(paste, opPush, 63)
	for i := range 63 {
		paste = append(paste, byte('A'+i%26))
	}
	paste = append(paste, opTick, 10, opDeliver, 0, 0, opDeliver, 0, 1, opAcks, opTick, 10, opDeliver, 0, 2)
	forged := []byte{opPush, 1, 'x', opTick, 10, opDeliver, 0, 0,
		opForge, 0, 5, 0, 3, 0, opForge, 1, 0xff, 0, 0, 0, opForge, 0, 2, 0, 9, 2, 0x0a, 0x00, opJunk, 4, 1, 2, 3, 4}
	return [][]byte{typing, reorder, paste, forged, {}}
}

// floodProgram delivers 1100 states with no ack going back, which fills
// the receiver's 1024-state queue. It costs about 0.3 s a run, too slow a
// seed for fuzzing (mutants of it would take the fuzzer's whole time), so
// TestTransportFuzzSeedsReach runs it with the targets' laws instead.
func floodProgram() []byte {
	var flood []byte
	for i := range 1100 {
		flood = append(flood, opPush, 1, byte(i), opTick, 50, opDeliver, byte(i>>8), byte(i))
	}
	return flood
}

// completeSeeds are screens a real session sends: output with echo acks,
// a resize (a diff larger than one datagram), loss and reordering.
func completeSeeds() [][]byte {
	out := func(s string, ack byte) []byte {
		return append(append([]byte{opPush, byte(len(s))}, s...), ack)
	}
	var typing []byte
	typing = append(typing, out("$ ", 0)...)
	typing = append(typing, opTick, 10, opDeliver, 0, 0, opAcks)
	for i := range 10 {
		typing = append(typing, out(string(rune('a'+i)), 3)...)
		typing = append(typing, opTick, 10, opDeliver, 0, byte(i+1), opAcks)
	}
	big := []byte{opResize, 199, 60}
	big = append(big, out("\x1b[2J\x1b[1;1H\x1b[31mred\x1b[0m \xe2\x82\xac wide \xe4\xb8\xad\r\n", 0)...)
	big = append(big, opTick, 10, opDeliver, 0, 1, opDeliver, 0, 0, opDeliver, 0, 2, opAcks, opTick, 100, opDeliver, 0, 3)
	lossy := append(out("line one\r\n", 1), opTick, 10)
	lossy = append(lossy, out("line two\r\n", 1)...)
	lossy = append(lossy, opTick, 10, opDeliver, 0, 1, opCorrupt, 0, 0, 3, 0, opDeliver, 0, 0, opDeliver, 0, 1, opAcks)
	forged := append(out("x", 0), opTick, 10, opDeliver, 0, 0, opForge, 0, 7, 0, 0, 3, 0x0a, 0x01, 0x02, opJunk, 2, 0, 0)
	return [][]byte{typing, big, lossy, forged, {}}
}

// TestTransportFuzzSeedsReach: the seed programs reach what the targets
// are for, so a change in the rig cannot quietly make them vacuous.
func TestTransportFuzzSeedsReach(t *testing.T) {
	seeds := userStreamSeeds()
	_, got, _ := runUserStreamProgram(t, seeds[0], false)
	if len(got) != 21 { // the resize and 20 keys
		t.Errorf("typing seed delivered %d events, want 21", len(got))
	}
	_, got, _ = runUserStreamProgram(t, seeds[2], false)
	if len(got) != 126 {
		t.Errorf("paste seed delivered %d events, want 126", len(got))
	}
	r, _, held := runUserStreamProgram(t, floodProgram(), false)
	if held < 1024 || r.receiver.Stats().StatesReceived < 1025 {
		t.Errorf("flood seed: at most %d states held, %d received; want the 1024-state queue full", held, r.receiver.Stats().StatesReceived)
	}
	if r, _, _ := runUserStreamProgram(t, seeds[3], true); !r.forged {
		t.Errorf("forged seed: no forged instruction accepted")
	}
	cs := completeSeeds()
	rc := runCompleteProgram(t, cs[1], false)
	if w := rc.receiver.Remote().Framebuffer().Width(); w != 200 {
		t.Errorf("resize seed: client screen %d wide, want 200", w)
	}
	if st := rc.receiver.Stats(); st.StatesOutOfOrder == 0 && st.Replayed == 0 {
		t.Errorf("resize seed: nothing out of order or replayed: %+v", st)
	}
}

// sameView reports whether a client's screen shows what the server's does:
// echo ack, cursor, modes, title, icon name and clipboard exactly; per
// cell the grapheme (all blanks alike), rendition and width, skipping the
// cells under the right half of a wide character. Row wrap flags are left
// out, as along any chain of frames (see term's viewDiff).
func sameView(got, want *complete) bool {
	g, w := got.Framebuffer(), want.Framebuffer()
	if got.EchoAck() != want.EchoAck() || g.Width() != w.Width() || g.Height() != w.Height() ||
		g.CursorRow() != w.CursorRow() || g.CursorCol() != w.CursorCol() || g.CursorVisible() != w.CursorVisible() ||
		g.ReverseVideo() != w.ReverseVideo() || g.Rendition() != w.Rendition() ||
		g.BracketedPaste() != w.BracketedPaste() || g.MouseReporting() != w.MouseReporting() ||
		g.FocusEvents() != w.FocusEvents() || g.MouseEncoding() != w.MouseEncoding() ||
		g.Title() != w.Title() || g.IconName() != w.IconName() || g.Clipboard() != w.Clipboard() {
		return false
	}
	view := func(c term.Cell) (string, term.Rendition, bool) {
		if c.IsBlank() {
			return "", c.Rendition(), c.Wide()
		}
		return c.String(), c.Rendition(), c.Wide()
	}
	for y := 0; y < w.Height(); y++ {
		for x := 0; x < w.Width(); {
			gs, gr, gw := view(g.Cell(y, x))
			ws, wr, ww := view(w.Cell(y, x))
			if gs != ws || gr != wr || gw != ww {
				return false
			}
			x += w.Cell(y, x).Width()
		}
	}
	return true
}

// unrepresentable says why mosh's display cannot reproduce c's screen on
// any client, or returns "": the cases of term's unrepresentable (see
// term/display_view_test.go), from exported accessors.
func unrepresentable(c *complete) string {
	f := c.Framebuffer()
	w := f.Width()
	for y := 0; y < f.Height(); y++ {
		if y > 0 && y < f.Height()-1 && f.Row(y-1).Wrap() && f.Row(y).Wrap() && f.Cell(y, 0).Width() >= w {
			return "continued row of a narrow screen"
		}
		if f.Cell(y, w-1).Wide() {
			return "wide character in the last column"
		}
		for x := 0; x < w; x++ {
			cell := f.Cell(y, x)
			if cell.Fallback() && len("\u00a0")+len(cell.Contents()) > 32 {
				return "combining marks fill a cell"
			}
			if r := cell.Rendition(); cell.Empty() && r != (term.Rendition{Bg: r.Bg}) {
				return "empty cell with a foreground rendition"
			}
		}
	}
	if f.TitleSet() && (utf8.RuneCountInString(f.Title()) > 254 || utf8.RuneCountInString(f.IconName()) > 254) {
		return "title longer than 254 characters"
	}
	return ""
}

// describeDiff says how two screens differ, for failure messages.
func describeDiff(a, b *complete) string {
	fa, fb := a.Framebuffer(), b.Framebuffer()
	var d []string
	if a.EchoAck() != b.EchoAck() {
		d = append(d, fmt.Sprintf("echo ack %d≠%d", a.EchoAck(), b.EchoAck()))
	}
	if fa.Width() != fb.Width() || fa.Height() != fb.Height() {
		return strings.Join(append(d, fmt.Sprintf("size %d×%d≠%d×%d", fa.Width(), fa.Height(), fb.Width(), fb.Height())), ", ")
	}
	if fa.CursorRow() != fb.CursorRow() || fa.CursorCol() != fb.CursorCol() || fa.CursorVisible() != fb.CursorVisible() {
		d = append(d, fmt.Sprintf("cursor %d,%d,%v≠%d,%d,%v", fa.CursorRow(), fa.CursorCol(), fa.CursorVisible(),
			fb.CursorRow(), fb.CursorCol(), fb.CursorVisible()))
	}
	if fa.Rendition() != fb.Rendition() {
		d = append(d, fmt.Sprintf("rendition %+v≠%+v", fa.Rendition(), fb.Rendition()))
	}
	for i := 0; i < fa.Height(); i++ {
		if !fa.Row(i).EqualCells(fb.Row(i)) {
			d = append(d, fmt.Sprintf("row %d", i))
		}
	}
	if len(d) == 0 {
		d = append(d, "other framebuffer state (modes, title, clipboard, bell)")
	}
	return strings.Join(d, ", ")
}
