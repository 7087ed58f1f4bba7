package roam

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// snapshot is everything a dropped datagram must leave alone.
type snapshot struct {
	remoteNum, ackNum, sentAcked uint64
	remote                       string
	srtt, rttvar                 float64
	expectedSeq                  uint64
	attached                     bool
	echo                         timestampEcho
	states                       int
	pendingAck                   bool
}

func snap(s *serverT) snapshot {
	return snapshot{
		remoteNum:   s.RemoteNum(),
		ackNum:      s.snd.ackNum,
		sentAcked:   s.AckedNum(),
		remote:      string(s.Remote().b),
		srtt:        s.rtt.srtt,
		rttvar:      s.rtt.rttvar,
		expectedSeq: s.expectedSeq,
		attached:    s.attached,
		echo:        s.echo,
		states:      len(s.rcv.states),
		pendingAck:  s.snd.pendingDataAck,
	}
}

// seal makes an authentic datagram with arbitrary plaintext.
func seal(t testing.TB, dir wire.Direction, seq uint64, plain []byte) []byte {
	t.Helper()
	sess, err := wire.NewSession(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return sess.Seal(nil, dir, seq, plain)
}

// instPlain builds the plaintext of a single-fragment instruction.
func instPlain(in wire.Instruction, compress bool) []byte {
	payload := in.AppendMarshal(nil)
	if compress {
		payload = wire.Compress(payload)
	}
	f := wire.Fragment{ID: 99, Num: 0, Final: true, Data: payload}
	return f.AppendMarshal(wire.Packet{Timestamp: 7, TimestampReply: wire.NoTimestamp}.AppendMarshal(nil))
}

func TestBadDatagramsDroppedWithoutChange(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	p.client.Current().push("more")
	p.advance(p.client.SendInterval())
	good := p.one(p.tickClient(), "good")

	flipped := bytes.Clone(good.raw)
	flipped[len(flipped)/2] ^= 1
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 60)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	ok := wire.Instruction{ProtocolVersion: 2, OldNum: 1, NewNum: 50, AckNum: 0}
	cases := []struct {
		name string
		dg   []byte
		want error
	}{
		{"empty", nil, ErrUnauthentic},
		{"short", good.raw[:10], ErrUnauthentic},
		{"truncated", good.raw[:len(good.raw)-1], ErrUnauthentic},
		{"bit flipped", flipped, ErrUnauthentic},
		{"random", random, ErrUnauthentic},
		{"oversize", make([]byte, wire.MaxDatagram+1), ErrUnauthentic},
		{"other key", func() []byte {
			k := testKey
			k[0] ^= 1
			s, _ := wire.NewSession(k)
			return s.Seal(nil, wire.ToServer, 100, instPlain(ok, true))
		}(), ErrUnauthentic},
		{"wrong direction", seal(t, wire.ToClient, 100, instPlain(ok, true)), ErrWrongDirection},
		{"no timestamps", seal(t, wire.ToServer, 100, []byte{1, 2, 3}), ErrMalformed},
		{"short fragment", seal(t, wire.ToServer, 100, []byte{0, 1, 0, 2, 9, 9, 9}), ErrMalformed},
		{"not zlib", seal(t, wire.ToServer, 100, instPlain(ok, false)), ErrMalformed},
		{"not protobuf", seal(t, wire.ToServer, 100, func() []byte {
			f := wire.Fragment{ID: 5, Final: true, Data: wire.Compress([]byte{0xff, 0xff, 0xff})}
			return f.AppendMarshal(wire.Packet{}.AppendMarshal(nil))
		}()), ErrMalformed},
		{"protocol version", seal(t, wire.ToServer, 100, instPlain(wire.Instruction{ProtocolVersion: 3, OldNum: 1, NewNum: 50}, true)), ErrProtocol},
		{"throwaway above old", seal(t, wire.ToServer, 100, instPlain(wire.Instruction{ProtocolVersion: 2, OldNum: 1, NewNum: 50, ThrowawayNum: 2}, true)), ErrProtocol},
	}
	for _, c := range cases {
		before := snap(p.server)
		info, err := p.server.Recv(c.dg, p.now, false)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
		if info.Newest || info.NewState {
			t.Errorf("%s: info %+v", c.name, info)
		}
		if after := snap(p.server); after != before {
			t.Errorf("%s: state changed\n before %+v\n after  %+v", c.name, before, after)
		}
	}
	// The good datagram still works afterwards, and its replay is dropped.
	if info, err := p.server.Recv(good.raw, p.now, false); err != nil || !info.NewState || !info.Newest {
		t.Fatalf("good datagram after the junk: %+v %v", info, err)
	}
	before := snap(p.server)
	info, err := p.server.Recv(good.raw, p.now, false)
	if !errors.Is(err, ErrReplayed) || info.Newest || info.NewState || !info.Authentic {
		t.Fatalf("replay: %+v %v", info, err)
	}
	if after := snap(p.server); after != before {
		t.Fatalf("replay changed state\n before %+v\n after  %+v", before, after)
	}
	st := p.server.Stats()
	if st.Unauthentic != 7 || st.WrongDirection != 1 || st.Malformed != 4 || st.Protocol != 2 || st.Replayed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBadDiffRejected(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	// The client's remote state is a valState: a diff without its marker
	// is hostile input, which Apply rejects.
	before := p.client.RemoteNum()
	dg := seal(t, wire.ToClient, 1000, instPlain(wire.Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: 9, Diff: []byte("junk")}, true))
	if _, err := p.client.Recv(dg, p.now, false); !errors.Is(err, ErrProtocol) {
		t.Fatalf("err %v, want ErrProtocol", err)
	}
	if p.client.RemoteNum() != before || p.client.expectedSeq > 1000 {
		t.Fatal("bad diff changed the client")
	}
}

// An out-of-order datagram carrying a state not seen yet is used (mosh
// delivers it) but not for timing or roaming.
func TestReorderedDatagramDeliveredNotNewest(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	p.advance(p.client.SendInterval())
	p.client.Current().push("a")
	a := p.one(p.tickClient(), "a")
	p.advance(p.client.SendInterval())
	p.client.Current().push("b")
	b := p.one(p.tickClient(), "b")
	if info := p.toServer([]sent{b}); !info.Newest || !info.NewState {
		t.Fatalf("b: %+v", info)
	}
	srtt := p.server.rtt.srtt
	info, err := p.server.Recv(a.raw, p.now, false)
	if err != nil || info.Newest || info.NewState {
		t.Fatalf("late a: %+v %v (a state older than the newest is inserted, not newest)", info, err)
	}
	if p.server.Stats().StatesOutOfOrder != 1 || p.server.rtt.srtt != srtt {
		t.Fatalf("stats %+v", p.server.Stats())
	}
}
