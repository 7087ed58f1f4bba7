package roam

import (
	"errors"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// clientSnapshot is what a dropped datagram must leave alone on a client.
type clientSnapshot struct {
	remoteNum, ackNum, sentAcked uint64
	remote                       string
	srtt, rttvar                 float64
	expectedSeq                  uint64
	states                       int
	pendingAck                   bool
}

func clientSnap(c *clientT) clientSnapshot {
	return clientSnapshot{
		remoteNum:   c.RemoteNum(),
		ackNum:      c.snd.ackNum,
		sentAcked:   c.AckedNum(),
		remote:      string(c.Remote().v),
		srtt:        c.rtt.srtt,
		rttvar:      c.rtt.rttvar,
		expectedSeq: c.expectedSeq,
		states:      len(c.rcv.states),
		pendingAck:  c.snd.pendingDataAck,
	}
}

// FuzzTransportRecvClient is FuzzTransportRecv for the other direction: a
// client after the opening exchange gets one datagram from "the server",
// either a plaintext the fuzzer controls behind a valid seal or raw bytes.
// The client's remote state rejects diffs without its marker, so a diff the
// state refuses is among the inputs. Recv must not panic, must fail with a
// sentinel, and a dropped datagram must not change the client.
func FuzzTransportRecvClient(f *testing.F) {
	in := func(old, new, ack, throwaway uint64, diff string) []byte {
		return instPlain(wire.Instruction{ProtocolVersion: 2, OldNum: old, NewNum: new, AckNum: ack, ThrowawayNum: throwaway, Diff: []byte(diff)}, true)
	}
	f.Add(in(1, 2, 1, 1, "Sscreen"), true)
	f.Add(in(0, 2, 1, 0, "Sx"), true)
	f.Add(in(1, 2, 1, 1, "not a diff"), true) // the state refuses it
	f.Add(in(1, 2, 1, 5, "Sx"), true)         // §8 trap 5
	f.Add(in(9, 10, 1, 0, "Sx"), true)        // unknown reference state
	f.Add(in(1, 1, 1, 0, ""), true)           // duplicate
	f.Add(in(1, ^uint64(0), 1, 1, ""), true)  // the server shuts down
	f.Add(in(1, 2, 7, 1, "Sx"), true)         // acks a state never sent
	f.Add(instPlain(wire.Instruction{ProtocolVersion: 1, OldNum: 1, NewNum: 2, AckNum: 1}, true), true)
	f.Add([]byte{0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x80}, true) // §8 trap 3
	f.Add([]byte{}, false)
	f.Add(seal(f, wire.ToServer, 1<<20, in(1, 2, 1, 1, "Sx")), false) // wrong direction
	f.Fuzz(func(t *testing.T, data []byte, sealIt bool) {
		p := newPair(t, Config{})
		p.handshake()
		dg := data
		if sealIt {
			dg = seal(t, wire.ToClient, 1<<20, data)
		}
		before := clientSnap(p.client)
		info, err := p.client.Recv(dg, p.now, false)
		if err != nil {
			for _, e := range []error{ErrUnauthentic, ErrWrongDirection, ErrMalformed, ErrProtocol, ErrReplayed} {
				if errors.Is(err, e) {
					if after := clientSnap(p.client); after != before {
						t.Fatalf("dropped datagram (%v) changed the client\n before %+v\n after  %+v", err, before, after)
					}
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		if !info.Authentic {
			t.Fatal("accepted an unauthentic datagram")
		}
		if _, err := p.client.Tick(p.now); err != nil {
			t.Fatal(err)
		}
		_ = p.client.RemoteDiff()
	})
}
