package roam

import (
	"bytes"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var testKey = wire.Key{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

type (
	clientT = Transport[*logState, *valState]
	serverT = Transport[*valState, *logState]
)

// sent is one datagram taken apart by a test (it holds the key).
type sent struct {
	raw     []byte
	dir     wire.Direction
	seq     uint64
	ts, rep uint16
	inst    wire.Instruction
}

func (s sent) nums() [4]uint64 {
	return [4]uint64{s.inst.OldNum, s.inst.NewNum, s.inst.AckNum, s.inst.ThrowawayNum}
}

// decode opens a single-fragment datagram and decodes its instruction.
func decode(t testing.TB, dg []byte) sent {
	t.Helper()
	sess, err := wire.NewSession(testKey)
	if err != nil {
		t.Fatal(err)
	}
	dir, seq, plain, err := sess.Open(nil, dg)
	if err != nil {
		t.Fatalf("open own datagram: %v", err)
	}
	pkt, err := wire.ParsePacket(plain)
	if err != nil {
		t.Fatal(err)
	}
	f, err := wire.ParseFragment(pkt.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var asm wire.Assembler
	in, err := asm.Add(f)
	if err != nil || in == nil {
		t.Fatalf("datagram is not a whole instruction: %v", err)
	}
	if in.ProtocolVersion != wire.ProtocolVersion {
		t.Fatalf("protocol version %d", in.ProtocolVersion)
	}
	if len(in.Chaff) > chaffMax {
		t.Fatalf("chaff of %d bytes", len(in.Chaff))
	}
	if in.ThrowawayNum > in.OldNum {
		t.Fatalf("throwaway %d above old %d: a real peer aborts", in.ThrowawayNum, in.OldNum)
	}
	c := *in
	c.Diff = bytes.Clone(in.Diff)
	return sent{raw: dg, dir: dir, seq: seq, ts: pkt.Timestamp, rep: pkt.TimestampReply, inst: c}
}

// pair is a client and a server transport on a fake clock and a wire the
// test carries by hand.
type pair struct {
	t      testing.TB
	now    time.Time
	client *clientT
	server *serverT
}

func newPair(t testing.TB, cfg Config) *pair {
	t.Helper()
	c, err := NewTransport(Client, testKey, &logState{}, &valState{}, t0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewTransport(Server, testKey, &valState{}, &logState{}, t0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{t: t, now: t0, client: c, server: s}
}

func (p *pair) advance(d time.Duration) { p.now = p.now.Add(d) }

func tickAll[L State[L], R State[R]](p *pair, tr *Transport[L, R]) []sent {
	p.t.Helper()
	dgs, err := tr.Tick(p.now)
	if err != nil {
		p.t.Fatalf("tick: %v", err)
	}
	out := make([]sent, len(dgs))
	for i, dg := range dgs {
		out[i] = decode(p.t, dg)
	}
	return out
}

func (p *pair) tickClient() []sent { return tickAll(p, p.client) }
func (p *pair) tickServer() []sent { return tickAll(p, p.server) }

// one expects exactly one datagram.
func (p *pair) one(got []sent, what string) sent {
	p.t.Helper()
	if len(got) != 1 {
		p.t.Fatalf("%s: got %d datagrams, want 1", what, len(got))
	}
	return got[0]
}

// none expects no datagram.
func (p *pair) none(got []sent, what string) {
	p.t.Helper()
	if len(got) != 0 {
		p.t.Fatalf("%s: got %d datagrams (first %v), want none", what, len(got), got[0].nums())
	}
}

func recvAll[L State[L], R State[R]](p *pair, tr *Transport[L, R], dgs []sent) RecvInfo {
	p.t.Helper()
	var info RecvInfo
	for _, d := range dgs {
		i, err := tr.Recv(d.raw, p.now, false)
		if err != nil {
			p.t.Fatalf("recv %v: %v", d.nums(), err)
		}
		info = i
	}
	return info
}

// screenToClient starts a pair (handshake, then a second), changes the
// server's state and delivers its one datagram to the client, returning it.
func screenToClient(t *testing.T) (*pair, sent) {
	t.Helper()
	p := newPair(t, Config{})
	p.handshake()
	p.advance(time.Second)
	p.server.Current().v = []byte("screen")
	s := p.one(p.tickServer(), "server data")
	p.toClient([]sent{s})
	return p, s
}

func (p *pair) toServer(dgs []sent) RecvInfo { return recvAll(p, p.server, dgs) }
func (p *pair) toClient(dgs []sent) RecvInfo { return recvAll(p, p.client, dgs) }

// handshake runs the opening exchange: client state 1, the server's empty
// ack of it, so that both have heard each other.
func (p *pair) handshake() {
	p.t.Helper()
	p.client.Current().push("hi")
	c := p.one(p.tickClient(), "client state 1")
	p.toServer([]sent{c})
	p.advance(time.Millisecond)
	s := p.one(p.tickServer(), "server reply")
	p.toClient([]sent{s})
}
