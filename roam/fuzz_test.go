package roam

import (
	"errors"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// FuzzTransportRecv feeds a server transport one datagram after a normal
// opening exchange. With seal set the input is a plaintext that the fuzzer
// controls behind a valid seal (so packet, fragment, instruction and diff
// decoding are reached); otherwise it is a raw datagram. Recv must not
// panic, must fail with one of its sentinel errors, and a dropped datagram
// must not change the transport.
func FuzzTransportRecv(f *testing.F) {
	p := newPair(f, Config{})
	p.client.Current().push("seed")
	dgs, _ := p.client.Tick(p.now)
	for _, dg := range dgs {
		f.Add(dg, false)
	}
	f.Add([]byte{}, false)
	f.Add(instPlain(wire.Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: 1, Diff: []byte("x")}, true), true)
	f.Add(instPlain(wire.Instruction{ProtocolVersion: 2, OldNum: 1, NewNum: 2, ThrowawayNum: 1}, true), true)
	f.Add(instPlain(wire.Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: ^uint64(0), AckNum: 1}, true), true)
	f.Add(instPlain(wire.Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: 1, ThrowawayNum: 9}, true), true)
	f.Add([]byte{0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x00}, true)
	f.Add([]byte{0, 0}, true)

	f.Fuzz(func(t *testing.T, data []byte, sealIt bool) {
		p := newPair(t, Config{})
		p.handshake()
		dg := data
		if sealIt {
			dg = seal(t, wire.ToServer, 1<<20, data)
		}
		before := snap(p.server)
		info, err := p.server.Recv(dg, p.now, false)
		if err != nil {
			for _, e := range []error{ErrUnauthentic, ErrWrongDirection, ErrMalformed, ErrProtocol, ErrReplayed} {
				if errors.Is(err, e) {
					if after := snap(p.server); after != before {
						t.Fatalf("dropped datagram (%v) changed state\n before %+v\n after  %+v", err, before, after)
					}
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		if !info.Authentic {
			t.Fatalf("accepted an unauthentic datagram")
		}
		// Whatever it was, the transport keeps working.
		if _, err := p.server.Tick(p.now); err != nil {
			t.Fatal(err)
		}
		_ = p.server.RemoteDiff()
	})
}
