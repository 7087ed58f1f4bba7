package roam

import (
	"testing"
	"time"
)

func TestShutdownAcknowledged(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	p.advance(time.Second)
	p.client.StartShutdown(p.now)
	if !p.client.ShutdownInProgress() || p.client.ShutdownAcknowledged() {
		t.Fatal("shutdown flags wrong at start")
	}
	c := p.one(p.tickClient(), "shutdown")
	if c.inst.NewNum != shutdownNum {
		t.Fatalf("shutdown new_num %d", c.inst.NewNum)
	}
	p.toServer([]sent{c})
	if p.server.RemoteNum() != shutdownNum {
		t.Fatalf("server remote num %d", p.server.RemoteNum())
	}
	if p.server.CounterpartyShutdownAckSent() {
		t.Fatal("counterparty ack reported before sending it")
	}
	// The peer answers within a send interval of its last send.
	w := p.server.NextWake(p.now)
	if w.After(p.now.Add(p.server.SendInterval())) {
		t.Fatalf("server answers the shutdown only at +%v", w.Sub(p.now))
	}
	p.now = w
	s := p.one(p.tickServer(), "shutdown ack")
	if s.inst.AckNum != shutdownNum {
		t.Fatalf("ack_num %d, want 2^64−1", s.inst.AckNum)
	}
	if !p.server.CounterpartyShutdownAckSent() {
		t.Fatal("server does not know it acked the shutdown")
	}
	p.toClient([]sent{s})
	if !p.client.ShutdownAcknowledged() {
		t.Fatal("client shutdown not acknowledged")
	}
	if p.client.ShutdownAckTimedOut(p.now) {
		t.Fatal("timed out")
	}
}

func TestShutdownGivesUpAfterRetries(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	p.client.Current().push("pending")
	start := p.now
	p.client.StartShutdown(p.now)
	n := 0
	for i := 0; i < 100 && !p.client.ShutdownAckTimedOut(p.now); i++ {
		p.now = p.client.NextWake(p.now)
		for _, d := range p.tickClient() {
			if d.inst.NewNum != shutdownNum {
				t.Fatalf("send %d during shutdown has new_num %d", n, d.inst.NewNum)
			}
			if string(d.inst.Diff) != "hipending" && string(d.inst.Diff) != "pending" {
				t.Fatalf("shutdown send lost the pending diff: %q", d.inst.Diff)
			}
			n++
		}
	}
	if n != MoshShutdownRetries {
		t.Fatalf("%d shutdown sends before giving up, want %d", n, MoshShutdownRetries)
	}
	if p.now.Sub(start) >= MoshActiveRetryTimeout {
		t.Fatalf("took %v: the retry count should end it first", p.now.Sub(start))
	}
}

func TestShutdownTimesOut(t *testing.T) {
	p := newPair(t, Config{ShutdownRetries: 1000})
	p.handshake()
	start := p.now
	p.client.StartShutdown(p.now)
	if p.client.ShutdownAckTimedOut(start.Add(MoshActiveRetryTimeout - time.Millisecond)) {
		t.Fatal("timed out early")
	}
	if !p.client.ShutdownAckTimedOut(start.Add(MoshActiveRetryTimeout)) {
		t.Fatal("no timeout after 10 s")
	}
}
