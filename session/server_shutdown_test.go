package session

import (
	"context"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/roam"
)

// TestServerLingersForLostShutdownAck: the client asks to shut down and
// the server's acks are lost for a while. mosh-server would have exited
// after its first (lost) ack, leaving the client to time out and report an
// unclean shutdown; ours keeps answering for shutdownLinger, so the
// client's shutdown is acknowledged once datagrams get through again.
func TestServerLingersForLostShutdownAck(t *testing.T) {
	srvConn, cliConn := netem.Pipe()
	lossy, err := netem.Impair(srvConn, netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ct, cliPath, served := servePair(t, ctx, lossy, cliConn, srvConn.LocalAddr(), "sh", "-c", "sleep 30")
	ct.Current().PushResize(80, 24)
	events := make(chan func(time.Time))
	pump := &roam.Pump[*userStream, *complete]{
		Transport: ct, Path: cliPath, Events: events,
		Done: func(now time.Time) bool {
			return ct.ShutdownInProgress() && (ct.ShutdownAcknowledged() || ct.ShutdownAckTimedOut(now))
		},
	}
	pumped := make(chan error, 1)
	go func() { pumped <- pump.Run(ctx) }()

	// Wait (on the pump's goroutine) until the server answered.
	deadline := time.Now().Add(10 * time.Second)
	for {
		connected := make(chan bool, 1)
		events <- func(time.Time) { connected <- ct.RemoteNum() != 0 }
		if <-connected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Lose everything the server sends for a while, then ask to shut down.
	lossy.Blackout(true)
	events <- func(now time.Time) { ct.StartShutdown(now) }
	// Shorter than the client's 16 shutdown retries at the send interval
	// (≥ 20 ms each), longer than the server's first ack takes.
	time.Sleep(150 * time.Millisecond)
	lossy.Blackout(false)

	if err := <-pumped; err != nil {
		t.Fatalf("client pump: %v", err)
	}
	if !ct.ShutdownAcknowledged() {
		t.Fatal("the client's shutdown was never acknowledged: the server stopped answering after its lost ack")
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not end after its linger")
	}
}
