package roam

import (
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

func TestFirstSendAtOnce(t *testing.T) {
	p := newPair(t, Config{})
	p.client.Current().push("resize")
	d := p.one(p.tickClient(), "first tick")
	if got, want := d.nums(), [4]uint64{0, 1, 0, 0}; got != want {
		t.Fatalf("nums = %v, want %v", got, want)
	}
	if string(d.inst.Diff) != "resize" || d.seq != 0 || d.dir != wire.ToServer {
		t.Fatalf("diff %q seq %d dir %v", d.inst.Diff, d.seq, d.dir)
	}
	if d.rep != wire.NoTimestamp {
		t.Fatalf("ts_reply %#x before hearing anything", d.rep)
	}
}

func TestHeartbeatEveryAckInterval(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	if got, want := p.client.NextWake(p.now), t0.Add(MoshAckInterval); !got.Equal(want) {
		t.Fatalf("next wake %v, want heartbeat at %v", got.Sub(t0), want.Sub(t0))
	}
	p.now = t0.Add(MoshAckInterval - time.Millisecond)
	p.none(p.tickClient(), "before heartbeat")
	p.now = t0.Add(MoshAckInterval)
	d := p.one(p.tickClient(), "heartbeat")
	if len(d.inst.Diff) != 0 || d.inst.NewNum != 2 || d.inst.AckNum != 1 {
		t.Fatalf("heartbeat nums %v diff %q, want empty ack new 2 ack 1", d.nums(), d.inst.Diff)
	}
	if got, want := p.client.NextWake(p.now), p.now.Add(MoshAckInterval); !got.Equal(want) {
		t.Fatalf("next heartbeat at %v, want %v", got.Sub(t0), want.Sub(t0))
	}
}

func TestDataAckWithinAckDelay(t *testing.T) {
	p, s := screenToClient(t)
	serverSent := p.now
	if got, want := p.client.NextWake(p.now), p.now.Add(MoshAckDelay); !got.Equal(want) {
		t.Fatalf("ack due at +%v, want +%v", got.Sub(p.now), MoshAckDelay)
	}
	p.advance(MoshAckDelay - time.Millisecond)
	p.none(p.tickClient(), "before ack delay")
	p.advance(time.Millisecond)
	a := p.one(p.tickClient(), "data ack")
	if a.inst.AckNum != s.inst.NewNum || len(a.inst.Diff) != 0 {
		t.Fatalf("ack nums %v, want ack of %d", a.nums(), s.inst.NewNum)
	}
	// An empty ack from the peer does not ask for a quick ack.
	p.toServer([]sent{a})
	if got, want := p.server.NextWake(p.now), serverSent.Add(MoshAckInterval); !got.Equal(want) {
		t.Fatalf("server wakes at +%v after an empty ack, want its heartbeat at +%v", got.Sub(p.now), want.Sub(p.now))
	}
}

func TestRetransmitAfterRTOPlusAckDelay(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	p.advance(5 * time.Second)
	p.tickServer() // heartbeat keeps the client "heard"
	p.client.Current().push("x")
	first := p.one(p.tickClient(), "new state")
	if first.inst.NewNum != 2 || string(first.inst.Diff) != "x" || first.inst.OldNum != 1 {
		t.Fatalf("first send %v %q", first.nums(), first.inst.Diff)
	}
	rto := p.client.RTO()
	if got, want := p.client.NextWake(p.now), p.now.Add(rto+MoshAckDelay); !got.Equal(want) {
		t.Fatalf("resend at +%v, want RTO %v + %v", got.Sub(p.now), rto, MoshAckDelay)
	}
	start := p.now
	p.now = start.Add(rto + MoshAckDelay - time.Millisecond)
	p.none(p.tickClient(), "before RTO")
	p.now = start.Add(rto + MoshAckDelay)
	re := p.one(p.tickClient(), "retransmission")
	if re.inst.NewNum != 2 || re.inst.OldNum != 1 || string(re.inst.Diff) != "x" {
		t.Fatalf("retransmission %v %q, want 1→2 \"x\"", re.nums(), re.inst.Diff)
	}
}

// idleKeystroke is a pair past its handshake, its send interval, and the
// client's keystroke "a", sent at once on the idle link.
func idleKeystroke(t *testing.T) (*pair, time.Duration, sent) {
	t.Helper()
	p := newPair(t, Config{})
	p.handshake()
	iv := p.client.SendInterval()
	p.advance(time.Second)
	p.client.Current().push("a")
	return p, iv, p.one(p.tickClient(), "idle keystroke")
}

func TestIdleLinkSendsAtOnceBurstsCoalesce(t *testing.T) {
	p, iv, a := idleKeystroke(t)
	if string(a.inst.Diff) != "a" {
		t.Fatalf("diff %q", a.inst.Diff)
	}
	sentAt := p.now
	p.advance(5 * time.Millisecond)
	p.client.Current().push("b")
	if got := p.client.NextWake(p.now); !got.Equal(sentAt.Add(iv)) {
		t.Fatalf("burst keystroke due at +%v after the last send, want the send interval %v", got.Sub(sentAt), iv)
	}
	p.none(p.tickClient(), "burst within interval")
	p.advance(3 * time.Millisecond)
	p.client.Current().push("c")
	p.now = sentAt.Add(iv)
	bc := p.one(p.tickClient(), "coalesced burst")
	// One state for both keystrokes; sent relative to the acked state 1
	// (prospective resend: "abc" is not 100 bytes longer than "bc").
	if string(bc.inst.Diff) != "abc" || bc.inst.OldNum != 1 || bc.inst.NewNum != 3 {
		t.Fatalf("coalesced %v %q, want 1→3 \"abc\"", bc.nums(), bc.inst.Diff)
	}
	// A heartbeat does not make the next keystroke wait.
	p.toServer([]sent{a, bc})
	p.advance(MoshAckDelay)
	p.toClient([]sent{p.one(p.tickServer(), "server's ack")})
	p.advance(MoshAckInterval)
	if hb := p.one(p.tickClient(), "heartbeat"); len(hb.inst.Diff) != 0 {
		t.Fatalf("heartbeat carries %q", hb.inst.Diff)
	}
	p.advance(2 * time.Millisecond)
	p.client.Current().push("d")
	d := p.one(p.tickClient(), "keystroke right after a heartbeat")
	if string(d.inst.Diff) != "d" {
		t.Fatalf("diff %q, want \"d\"", d.inst.Diff)
	}
}

// TestAcknowledgedLinkSendsAtOnce: a change within the send interval of
// the last data still goes at once when the peer has acknowledged every
// state sent (keys repeating faster than the interval, each echoed before
// the next), at both ends; with a state in flight it waits as before.
func TestAcknowledgedLinkSendsAtOnce(t *testing.T) {
	p, iv, a := idleKeystroke(t)
	p.toServer([]sent{a})
	p.server.Current().v = []byte("a")
	echoA := p.one(p.tickServer(), "echo on an idle link")
	p.toClient([]sent{echoA})

	p.advance(iv / 2)
	p.client.Current().push("b")
	b := p.one(p.tickClient(), "keystroke after the last was acknowledged, within the interval")
	if string(b.inst.Diff) != "b" || b.inst.AckNum != echoA.inst.NewNum {
		t.Fatalf("keystroke %v %q, want \"b\" acknowledging the echo", b.nums(), b.inst.Diff)
	}
	p.toServer([]sent{b})
	p.server.Current().v = []byte("ab")
	p.one(p.tickServer(), "echo after the last frame was acknowledged, within the interval")

	// The client has not heard that echo: "b" is in flight, and the next
	// key waits for the interval.
	p.advance(time.Millisecond)
	p.client.Current().push("c")
	p.none(p.tickClient(), "keystroke while the last is in flight")
	if got := p.client.NextWake(p.now); !got.Equal(p.now.Add(-time.Millisecond).Add(iv)) {
		t.Fatalf("keystroke in a burst due at +%v after the last send, want the send interval %v",
			got.Sub(p.now.Add(-time.Millisecond)), iv)
	}
}

// TestStrictMoshPacingWaits: with mosh's timing every change waits
// SEND_MINDELAY, which mosh-client sets to 1 ms for keystrokes and
// mosh-server leaves at 8 ms for frames.
func TestStrictMoshPacingWaits(t *testing.T) {
	p := newPair(t, Config{StrictMoshPacing: true})
	p.handshake()
	p.advance(time.Second)
	p.client.Current().push("a")
	if got := p.client.NextWake(p.now); !got.Equal(p.now.Add(MoshClientSendMinDelay)) {
		t.Fatalf("strict pacing: keystroke due at +%v, want the client's SEND_MINDELAY %v", got.Sub(p.now), MoshClientSendMinDelay)
	}
	p.none(p.tickClient(), "within the client's SEND_MINDELAY")
	p.advance(MoshClientSendMinDelay)
	p.toServer([]sent{p.one(p.tickClient(), "after the client's SEND_MINDELAY")})

	p.server.Current().v = []byte("a")
	if got := p.server.NextWake(p.now); !got.Equal(p.now.Add(MoshSendMinDelay)) {
		t.Fatalf("strict pacing: echo due at +%v, want the server's SEND_MINDELAY %v", got.Sub(p.now), MoshSendMinDelay)
	}
	p.none(p.tickServer(), "within the server's SEND_MINDELAY")
	p.advance(MoshSendMinDelay)
	p.one(p.tickServer(), "after the server's SEND_MINDELAY")
}

// TestBurstWaitsSideMinDelay: a change late in a burst's send interval
// waits SEND_MINDELAY after it, 1 ms for a client's keystroke (as
// mosh-client) and 8 ms for a server's frame; a configured value wins.
func TestBurstWaitsSideMinDelay(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{"default", Config{}, MoshClientSendMinDelay},
		{"configured", Config{SendMinDelay: 5 * time.Millisecond}, 5 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t, tc.cfg)
			p.handshake()
			p.advance(time.Second)
			iv := p.client.SendInterval()
			p.client.Current().push("a")
			p.one(p.tickClient(), "keystroke on an idle link")
			// "a" is in flight; "b" comes just before the interval ends.
			p.advance(iv - time.Millisecond/2)
			p.client.Current().push("b")
			if got := p.client.NextWake(p.now); !got.Equal(p.now.Add(tc.want)) {
				t.Fatalf("client burst due at +%v after the change, want %v", got.Sub(p.now), tc.want)
			}
		})
	}
	p := newPair(t, Config{})
	p.handshake()
	p.advance(time.Second)
	iv := p.server.SendInterval()
	p.server.Current().v = []byte("a")
	p.one(p.tickServer(), "frame on an idle link")
	p.advance(iv - time.Millisecond/2)
	p.server.Current().v = []byte("ab")
	if got := p.server.NextWake(p.now); !got.Equal(p.now.Add(MoshSendMinDelay)) {
		t.Fatalf("server burst due at +%v after the change, want %v", got.Sub(p.now), MoshSendMinDelay)
	}
}

func TestRTTEstimatorNumbers(t *testing.T) {
	e := newRTT()
	if got := e.rto(MoshMinRTO, MoshMaxRTO); got != time.Second {
		t.Fatalf("initial RTO %v, want 1s (3000 clamped)", got)
	}
	if got := e.sendInterval(MoshSendIntervalMin, MoshSendIntervalMax); got != 250*time.Millisecond {
		t.Fatalf("initial interval %v", got)
	}
	e.sample(100)
	if e.srtt != 100 || e.rttvar != 50 {
		t.Fatalf("first sample: srtt %v rttvar %v", e.srtt, e.rttvar)
	}
	e.sample(200)
	if e.srtt != 112.5 || e.rttvar != 62.5 {
		t.Fatalf("second sample: srtt %v rttvar %v, want 112.5 62.5", e.srtt, e.rttvar)
	}
	if got := e.rto(MoshMinRTO, MoshMaxRTO); got != 363*time.Millisecond {
		t.Fatalf("rto %v, want ceil(112.5+250)=363ms", got)
	}
	if got := e.sendInterval(MoshSendIntervalMin, MoshSendIntervalMax); got != 57*time.Millisecond {
		t.Fatalf("interval %v, want ceil(56.25)=57ms", got)
	}
	e.sample(5000) // ignored
	if e.srtt != 112.5 {
		t.Fatalf("5 s sample was used")
	}
	for range 100 {
		e.sample(1)
	}
	if got := e.rto(MoshMinRTO, MoshMaxRTO); got != MoshMinRTO {
		t.Fatalf("rto %v, want clamp to 50ms", got)
	}
	if got := e.sendInterval(MoshSendIntervalMin, MoshSendIntervalMax); got != MoshSendIntervalMin {
		t.Fatalf("interval %v, want clamp to 20ms", got)
	}
}

func TestTimestampEchoMeasuresRTT(t *testing.T) {
	p := newPair(t, Config{})
	p.client.Current().push("a")
	c := p.one(p.tickClient(), "client")
	p.advance(20 * time.Millisecond) // one way
	p.toServer([]sent{c})
	p.advance(7 * time.Millisecond) // held by the server
	s := p.one(p.tickServer(), "server")
	if s.rep != c.ts+7 {
		t.Fatalf("echo %d, want client ts %d + 7 ms held", s.rep, c.ts)
	}
	p.advance(20 * time.Millisecond)
	p.toClient([]sent{s})
	if got := p.client.SRTT(); got != 40*time.Millisecond {
		t.Fatalf("SRTT %v, want 40ms (47 ms minus 7 held)", got)
	}
	// The echo is used once: the next server datagram carries none.
	p.advance(MoshAckInterval)
	if n := p.one(p.tickServer(), "heartbeat"); n.rep != wire.NoTimestamp {
		t.Fatalf("second echo %#x", n.rep)
	}
}

func TestCongestionPenalisesEcho(t *testing.T) {
	p := newPair(t, Config{})
	p.client.Current().push("a")
	c := p.one(p.tickClient(), "client")
	if _, err := p.server.Recv(c.raw, p.now, true); err != nil {
		t.Fatal(err)
	}
	s := p.one(p.tickServer(), "server")
	if s.rep != c.ts-congestionPenalty {
		t.Fatalf("echo %d, want ts %d − 500", s.rep, c.ts)
	}
}

func TestServerSilentBeforeFirstDatagramAndAfterAssociationTimeout(t *testing.T) {
	p := newPair(t, Config{})
	p.server.Current().v = []byte("motd")
	p.none(p.tickServer(), "server before any client")
	if w := p.server.NextWake(p.now); !w.IsZero() {
		t.Fatalf("server schedules a wake at %v with no client", w)
	}
	p.handshake()
	if !p.server.Attached() {
		t.Fatal("not attached after the client's datagram")
	}
	last := p.now
	// The client goes silent; the server keeps resending / heartbeating
	// until 40 s have passed, then stops.
	sends := 0
	for p.now.Sub(last) < 2*MoshServerAssociationLimit {
		w := p.server.NextWake(p.now)
		if w.IsZero() {
			break
		}
		p.now = w
		if n := len(p.tickServer()); n > 0 {
			sends += n
		}
	}
	if p.server.Attached() {
		t.Fatal("still attached after 80 s of silence")
	}
	if p.now.Sub(last) <= MoshServerAssociationLimit || p.now.Sub(last) > MoshServerAssociationLimit+MoshAckInterval {
		t.Fatalf("detached %v after the last datagram, want just past 40 s", p.now.Sub(last))
	}
	p.advance(time.Minute)
	p.none(p.tickServer(), "detached server")
	// The client's next datagram re-attaches it.
	p.client.Current().push("back")
	c := p.tickClient()
	p.toServer(c)
	if !p.server.Attached() || len(p.tickServer()) == 0 {
		t.Fatal("server did not answer the returning client")
	}
	_ = sends
}

func TestPortHopDecision(t *testing.T) {
	p := newPair(t, Config{})
	p.client.Current().push("a")
	p.tickClient()
	if p.client.ShouldHop(p.now) {
		t.Fatal("hop at start")
	}
	p.now = t0.Add(MoshPortHopInterval)
	if p.client.ShouldHop(p.now) {
		t.Fatal("hop at exactly the interval (mosh needs more)")
	}
	p.now = t0.Add(MoshPortHopInterval + time.Millisecond)
	if !p.client.ShouldHop(p.now) {
		t.Fatal("unanswered client does not hop after 10 s")
	}
	p.client.NoteHop(p.now)
	if p.client.ShouldHop(p.now.Add(MoshPortHopInterval)) {
		t.Fatal("hop again within 10 s of the last hop")
	}
	// A round trip (the server acks a state sent at T) postpones hopping
	// until 10 s after T.
	p.advance(MoshPortHopInterval + time.Second)
	p.client.Current().push("b")
	c := p.tickClient()
	sentAt := p.now
	p.toServer(c)
	p.advance(time.Millisecond)
	p.toClient(p.tickServer())
	if got := p.client.AckedSentAt(); !got.Equal(sentAt) {
		t.Fatalf("acked state sent at %v, want %v", got, sentAt)
	}
	p.now = sentAt.Add(MoshPortHopInterval)
	if p.client.ShouldHop(p.now) {
		t.Fatal("hop within 10 s of a round trip")
	}
	p.now = sentAt.Add(MoshPortHopInterval + time.Millisecond)
	if !p.client.ShouldHop(p.now) {
		t.Fatal("no hop 10 s after the last round trip")
	}
	if p.server.ShouldHop(p.now) {
		t.Fatal("server hops")
	}
}

func TestProspectiveResend(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake() // server acked client state 1 ("hi")
	p.advance(5 * time.Second)
	p.toClient(p.tickServer())
	p.client.Current().push("a")
	a := p.one(p.tickClient(), "state 2")
	if a.inst.OldNum != 1 || a.inst.NewNum != 2 {
		t.Fatalf("state 2 nums %v", a.nums())
	}
	iv := p.client.SendInterval()
	p.advance(iv)
	p.client.Current().push("b")
	b := p.one(p.tickClient(), "state 3")
	// State 2 is assumed received, but the diff against the acked state 1
	// ("ab", 2 bytes) is less than 100 bytes longer than "b": mosh resends
	// from the acked state, in case 2 was lost.
	if b.inst.OldNum != 1 || b.inst.NewNum != 3 || string(b.inst.Diff) != "ab" {
		t.Fatalf("state 3 %v %q, want prospective resend 1→3 \"ab\"", b.nums(), b.inst.Diff)
	}
	// With a long unacked history the small incremental diff wins.
	p.advance(iv)
	p.client.Current().push(string(make([]byte, 200)))
	p.one(p.tickClient(), "state 4")
	p.advance(iv)
	p.client.Current().push("z")
	z := p.one(p.tickClient(), "state 5")
	if z.inst.OldNum != 4 || string(z.inst.Diff) != "z" {
		t.Fatalf("state 5 %v %q, want incremental 4→5 \"z\"", z.nums(), z.inst.Diff)
	}
}

// TestLightDiffDoesNotStartBurst: with LightDiff, a datagram whose diff is
// that small (say, a terminal's echo ack) does not count as data, so a change
// right after it still leaves at once; a larger one still starts a burst.
func TestLightDiffDoesNotStartBurst(t *testing.T) {
	p := newPair(t, Config{LightDiff: 2})
	p.handshake()
	iv := p.client.SendInterval()
	p.advance(time.Second)
	p.client.Current().push("a") // diff "a": light
	p.one(p.tickClient(), "light change")
	p.advance(time.Millisecond)
	p.client.Current().push("bcd") // diff "bcd" (or "abcd"): not light, but the link counts as idle
	big := p.one(p.tickClient(), "change right after a light one")
	if !strings.HasSuffix(string(big.inst.Diff), "bcd") {
		t.Fatalf("diff %q", big.inst.Diff)
	}
	sentAt := p.now
	p.advance(time.Millisecond)
	p.client.Current().push("e")
	p.none(p.tickClient(), "change right after a data datagram: a burst")
	if got := p.client.NextWake(p.now); !got.Equal(sentAt.Add(iv)) {
		t.Fatalf("burst due at +%v, want the send interval %v", got.Sub(sentAt), iv)
	}
}

// TestHeartbeatsJoin: a heartbeat from the peer that arrives when ours is
// due within half an AckInterval takes ours along at once, so an idle
// session wakes once per interval on that side; with StrictMoshPacing the
// heartbeat waits for its own timer, as in mosh.
func TestHeartbeatsJoin(t *testing.T) {
	for _, strict := range []bool{false, true} {
		p := newPair(t, Config{StrictMoshPacing: strict})
		p.handshake()
		p.advance(time.Second)
		p.client.Current().push("k")
		p.now = p.client.NextWake(p.now) // at once, or after SEND_MINDELAY (strict)
		p.toServer([]sent{p.one(p.tickClient(), "keystroke")})
		p.advance(MoshAckDelay)
		p.toClient([]sent{p.one(p.tickServer(), "data ack")})
		// The client's heartbeat is due 100 ms before the server's.
		if c, s := p.client.NextWake(p.now), p.server.NextWake(p.now); s.Sub(c) != MoshAckDelay {
			t.Fatalf("heartbeats due at +%v (client) and +%v (server)", c.Sub(t0), s.Sub(t0))
		}
		p.now = p.client.NextWake(p.now)
		hb := p.one(p.tickClient(), "client heartbeat")
		p.toServer([]sent{hb})
		got := p.tickServer()
		if strict {
			p.none(got, "server heartbeat before its timer (strict)")
			if w, want := p.server.NextWake(p.now), p.now.Add(MoshAckDelay); !w.Equal(want) {
				t.Errorf("strict: server wakes at +%v, want +%v", w.Sub(p.now), want.Sub(p.now))
			}
			continue
		}
		j := p.one(got, "server heartbeat joining the client's")
		if len(j.inst.Diff) != 0 || j.inst.AckNum != hb.inst.NewNum {
			t.Errorf("joined heartbeat nums %v diff %q, want an empty ack of %d", j.nums(), j.inst.Diff, hb.inst.NewNum)
		}
		// The client, hearing it just after its own, does not answer
		// again: its next heartbeat is a whole interval away.
		p.toClient([]sent{j})
		p.none(p.tickClient(), "client answering the joined heartbeat")
		if w, want := p.client.NextWake(p.now), p.now.Add(MoshAckInterval); !w.Equal(want) {
			t.Errorf("client wakes at +%v, want +%v", w.Sub(p.now), want.Sub(p.now))
		}
	}
}

// AckNow: the application asks for the newest state's ack at once (our
// client does when the state brought history, which our server paces on
// acks); the ack goes at the next Tick, not after AckDelay.
func TestAckNow(t *testing.T) {
	p, s := screenToClient(t)
	p.client.AckNow(p.now)
	if got := p.client.NextWake(p.now); !got.Equal(p.now) {
		t.Fatalf("ack due at +%v, want now", got.Sub(p.now))
	}
	a := p.one(p.tickClient(), "data ack")
	if a.inst.AckNum != s.inst.NewNum || len(a.inst.Diff) != 0 {
		t.Fatalf("ack nums %v, want ack of %d", a.nums(), s.inst.NewNum)
	}
	p.advance(MoshAckDelay)
	p.none(p.tickClient(), "a second ack")
}
