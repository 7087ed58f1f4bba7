package roam

import (
	"context"
	"sync"
	"testing"
	"time"
)

// directPath is an in-memory DirectPath: the test plays its reader.
type directPath struct {
	mu   sync.Mutex
	fn   func(Datagram) bool
	sets int // SetReceiver calls
	in   chan Datagram
	sent chan []byte
}

func (p *directPath) Send(b []byte) error       { p.sent <- b; return nil }
func (p *directPath) Incoming() <-chan Datagram { return p.in }
func (p *directPath) SetReceiver(fn func(Datagram) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn = fn
	p.sets++
}
func (p *directPath) receiver() func(Datagram) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fn
}

// directApp is an App that counts datagrams and, after the first, starts
// waiting on a new input channel (as our server does when the first
// datagram starts the program on its pty).
type directApp struct {
	mu       sync.Mutex
	received int
	input    chan []byte
	handled  chan []byte
}

func (a *directApp) Step(time.Time) (bool, error)           { return false, nil }
func (a *directApp) Sent([]byte, error, time.Time)          {}
func (a *directApp) Settle(time.Time) (bool, error)         { return false, nil }
func (a *directApp) NextWake(time.Time) time.Time           { return time.Time{} }
func (a *directApp) Received(Datagram, RecvInfo, time.Time) { a.mu.Lock(); a.received++; a.mu.Unlock() }
func (a *directApp) count() int                             { a.mu.Lock(); defer a.mu.Unlock(); return a.received }
func (a *directApp) Sources() Sources {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.received == 0 {
		return Sources{}
	}
	return Sources{Input: a.input}
}
func (a *directApp) Handle(ev Event, _ time.Time) (bool, error) {
	a.handled <- ev.Bytes
	return false, nil
}

// TestDirectPathDelivery: a reader's datagram is handled on the reader's
// goroutine before its receiver returns; a wake-up there that gives the
// loop a new source makes Run wait on it; and once Run returns, the
// receiver declines and is removed.
func TestDirectPathDelivery(t *testing.T) {
	p := newPair(t, Config{})
	path := &directPath{in: make(chan Datagram), sent: make(chan []byte, 64)}
	app := &directApp{input: make(chan []byte), handled: make(chan []byte, 1)}
	pump := &Pump[*valState, *logState]{Transport: p.server, Path: path, App: app}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- pump.Run(ctx) }()

	var fn func(Datagram) bool
	for deadline := time.Now().Add(10 * time.Second); fn == nil; {
		if time.Now().After(deadline) {
			t.Fatal("Run installed no receiver")
		}
		time.Sleep(time.Millisecond)
		fn = path.receiver()
	}
	p.client.Current().push("k")
	dgs, err := p.client.Tick(p.now)
	if err != nil || len(dgs) != 1 {
		t.Fatalf("client tick: %d datagrams, %v", len(dgs), err)
	}
	buf := append([]byte(nil), dgs[0]...)
	// The loop may still be finishing its first wake-up: a busy loop
	// declines, and the reader would send on Incoming instead.
	for deadline := time.Now().Add(10 * time.Second); !fn(Datagram{Data: buf}); {
		if time.Now().After(deadline) {
			t.Fatal("the receiver never took the datagram")
		}
		time.Sleep(time.Millisecond)
	}
	if got := app.count(); got != 1 {
		t.Fatalf("after the receiver returned, %d datagrams received, want 1", got)
	}
	if string(p.server.Remote().b) != "k" {
		t.Fatalf("server's remote state %q, want %q", p.server.Remote().b, "k")
	}
	clear(buf) // the reader's buffer is its own again: nothing kept it

	// The wake-up on the reader's goroutine gave the App a source; Run
	// must now be waiting on it.
	select {
	case app.input <- []byte("out"):
	case <-time.After(10 * time.Second):
		t.Fatal("Run does not wait on the source the reader's wake-up opened")
	}
	if got := <-app.handled; string(got) != "out" {
		t.Fatalf("handled %q", got)
	}

	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run: %v", err)
	}
	if fn(Datagram{Data: dgs[0]}) {
		t.Error("the receiver took a datagram after Run returned")
	}
	path.mu.Lock()
	defer path.mu.Unlock()
	if path.fn != nil || path.sets != 2 {
		t.Errorf("receiver still installed (%d SetReceiver calls)", path.sets)
	}
}
