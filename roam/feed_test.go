package roam

import (
	"context"
	"encoding/binary"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"
)

// feedApp records the input it handles; some handlings yield, so that the
// reader meets a busy loop and falls back to the Feed's channel.
type feedApp struct {
	feed *Feed
	mu   sync.Mutex
	got  []uint32
}

func (a *feedApp) Step(time.Time) (bool, error)           { return false, nil }
func (a *feedApp) Sent([]byte, error, time.Time)          {}
func (a *feedApp) Settle(time.Time) (bool, error)         { return false, nil }
func (a *feedApp) NextWake(time.Time) time.Time           { return time.Time{} }
func (a *feedApp) Received(Datagram, RecvInfo, time.Time) {}
func (a *feedApp) Sources() Sources                       { return Sources{Feed: a.feed} }
func (a *feedApp) Handle(ev Event, _ time.Time) (bool, error) {
	if ev.Closed {
		return true, nil
	}
	n := binary.BigEndian.Uint32(ev.Bytes)
	switch {
	case n%50 == 0:
		time.Sleep(20 * time.Microsecond) // the reader queues behind
	case n%7 == 0:
		runtime.Gosched()
	}
	a.mu.Lock()
	a.got = append(a.got, n)
	a.mu.Unlock()
	return false, nil
}

// TestFeedKeepsOrder: bytes sent through a Feed are handled in the order
// sent, whether the reader ran the wake-up itself or queued them behind
// earlier ones on the channel; the reader's buffer may be reused at once.
func TestFeedKeepsOrder(t *testing.T) {
	const n = 5000
	p := newPair(t, Config{})
	path := &directPath{in: make(chan Datagram), sent: make(chan []byte, n)}
	app := &feedApp{feed: NewFeed(4)}
	pump := &Pump[*valState, *logState]{Transport: p.server, Path: path, App: app}
	done := make(chan error, 1)
	go func() { done <- pump.Run(context.Background()) }()
	buf := make([]byte, 4)
	for i := range uint32(n) {
		binary.BigEndian.PutUint32(buf, i)
		app.feed.Send(buf)
		if i%3 == 0 {
			runtime.Gosched()
		}
	}
	app.feed.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not end at the end of the input")
	}
	if len(app.got) != n {
		t.Fatalf("%d inputs handled, want %d", len(app.got), n)
	}
	for i, v := range app.got {
		if v != uint32(i) {
			t.Fatalf("input %d handled as number %d", v, i)
		}
	}
	if got := app.feed.pending.Load(); got != 0 {
		t.Errorf("%d sends on the channel never counted as handled", got)
	}
}

// TestFeedWaitsBehindChannel: while a send on the Feed's channel is not
// yet handled, the loop declines the reader's bytes, which then queue
// behind it; once it is handled, the reader's next bytes go direct.
func TestFeedWaitsBehindChannel(t *testing.T) {
	p := newPair(t, Config{})
	app := &feedApp{feed: NewFeed(4)}
	pump := &Pump[*valState, *logState]{Transport: p.server, App: app,
		Path: &directPath{in: make(chan Datagram), sent: make(chan []byte, 8)}}
	l := &loop[*valState, *logState]{p: pump, clock: time.Now, log: slog.New(slog.DiscardHandler),
		timer: pump.timer(), kick: make(chan struct{}, 1)}
	defer l.timer.Close()
	l.installFeed(app.feed)
	item := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

	app.feed.pending.Store(1) // item 0 waits on the channel
	if l.deliverInput(app.feed, item(1)) {
		t.Fatal("the loop took item 1 ahead of item 0 on the channel")
	}
	if len(app.got) != 0 {
		t.Fatalf("handled %v", app.got)
	}
	app.feed.handled() // the loop took item 0
	if !l.deliverInput(app.feed, item(1)) {
		t.Fatal("the loop declined item 1 with nothing ahead of it")
	}
	if len(app.got) != 1 || app.got[0] != 1 {
		t.Fatalf("handled %v, want [1]", app.got)
	}
	l.installFeed(nil)
	if app.feed.recv.Deliver(nil) {
		t.Fatal("the receiver stays installed")
	}
}
