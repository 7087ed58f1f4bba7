package roam

import (
	"testing"
	"time"
)

// BenchmarkKeystrokeRound is one keystroke on an idle link: the client's
// state changes, its Tick seals the datagram, the server's Recv opens and
// applies it, the server application consumes the diff and changes its
// screen, the server's Tick sends the echo and the client's Recv applies it.
func BenchmarkKeystrokeRound(b *testing.B) {
	p := newPair(b, Config{})
	p.handshake()
	screen := []byte("x")
	b.ReportAllocs()
	for b.Loop() {
		p.advance(time.Second)
		p.client.Current().push("k")
		dgs, err := p.client.Tick(p.now)
		if err != nil || len(dgs) != 1 {
			b.Fatalf("client tick: %d datagrams, %v", len(dgs), err)
		}
		info, err := p.server.Recv(dgs[0], p.now, false)
		if err != nil || !info.NewState {
			b.Fatalf("server recv: %+v %v", info, err)
		}
		_ = p.server.RemoteDiff()
		screen[0]++
		p.server.Current().v = screen
		dgs, err = p.server.Tick(p.now)
		if err != nil || len(dgs) != 1 {
			b.Fatalf("server tick: %d datagrams, %v", len(dgs), err)
		}
		if info, err := p.client.Recv(dgs[0], p.now, false); err != nil || !info.NewState {
			b.Fatalf("client recv: %+v %v", info, err)
		}
	}
}

// BenchmarkTickIdle is the cost of a Tick with nothing to send, which the
// loop pays at every wake-up.
func BenchmarkTickIdle(b *testing.B) {
	p := newPair(b, Config{})
	p.handshake()
	b.ReportAllocs()
	for b.Loop() {
		if dgs, _ := p.client.Tick(p.now); len(dgs) != 0 {
			b.Fatal("sent")
		}
		_ = p.client.NextWake(p.now)
	}
}
