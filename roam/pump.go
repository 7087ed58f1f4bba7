package roam

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ErrPathClosed is returned by Pump.Run when the path's Incoming channel
// closed under it.
var ErrPathClosed = errors.New("roam: path closed")

// Pump is the loop that drives a Transport over a Path: the one event loop
// of a session, the client's and the server's alike (package session runs
// both on it, as configurations: an App). Run owns the transport while it
// runs; everything else reaches the transport through the path, the App's
// sources or Events. Its wake-ups run one at a time: on Run's goroutine,
// or on a reader's that has a datagram (DirectPath) or input (Feed) while
// the loop waits, so that a keystroke is not handed from goroutine to
// goroutine. No two handlers ever run at once.
//
// The clock is read once per wake-up, and every handler, the tick and the
// deadline computation of that wake-up get the same reading. Each wake-up:
// handle what woke the loop (a datagram, with whatever else already
// arrived; an App source; an event; the timer), then App.Step, then tick
// the transport (with the path's MTU) and send what it returns, hopping the
// client's port when the transport says so, then App.Settle, then sleep
// until the earliest of the transport's, the path's and the App's next
// deadline (no timer at all when none has one: nothing ticks while idle).
type Pump[L State[L], R State[R]] struct {
	Transport *Transport[L, R]
	// Path is the datagram path; Run uses Send and Incoming, finds the
	// optional capabilities (MTUPath, HopPath, RoamPath, HeardPath,
	// WakePath) by type assertion, and never closes it.
	Path interface {
		Send(b []byte) error
		Incoming() <-chan Datagram
	}
	// App is the application side (nil: the transport alone, driven by
	// Events, OnRemote and Done).
	App App
	// Events carries application work (mutating Current, StartShutdown,
	// reading Remote); each function runs in a wake-up of the loop with the
	// wake-up's clock reading. May be nil.
	Events <-chan func(now time.Time)
	// OnRemote, if set, runs in the loop's wake-up after a datagram brought
	// a new newest remote state.
	OnRemote func(now time.Time)
	// Done, if set, is asked after each wake-up; Run returns nil once it
	// reports true (e.g. the shutdown handshake completed).
	Done func(now time.Time) bool
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// NewTimer, if set, makes Run's wake-up timer (a binary passes one in
	// the poller, nbio.NewTimer, so that no runtime timer wakes the Go
	// runtime's monitor thread on an idle session). If nil or it fails,
	// Run uses a time.Timer, which a test's fake clock drives.
	NewTimer func() (Timer, error)
	// Logger receives dropped datagrams and send errors at debug level
	// (nothing if nil).
	Logger *slog.Logger
}

// App is what a Pump drives above the transport: a session's client (the
// user's terminal) or server (the program on a pty). Every method runs in
// a wake-up of the loop (one at a time, on whichever goroutine runs it)
// with the clock reading of the current wake-up. A
// method that reports done ends Run with its error.
type App interface {
	// Step runs at every wake-up before the transport ticks: the
	// application's own timers and the exit rules that precede a send.
	Step(now time.Time) (done bool, err error)
	// Sent reports one datagram handed to the path and the path's answer.
	Sent(d []byte, err error, now time.Time)
	// Settle runs after the tick's datagrams left: drawing, and the exit
	// rules that must let a last datagram leave first.
	Settle(now time.Time) (done bool, err error)
	// NextWake is the application's next deadline (zero: none).
	NextWake(now time.Time) time.Time
	// Received runs after Transport.Recv accepted a datagram. d.Data may
	// be a reader's buffer (DirectPath): it must not be kept.
	Received(d Datagram, info RecvInfo, now time.Time)
	// Sources are the application's event channels for the next wait;
	// asked at every wake-up, so they may change (a pty that opens).
	Sources() Sources
	// Handle runs for an event from Sources.
	Handle(ev Event, now time.Time) (done bool, err error)
}

// TracingApp is an App that also hears of each datagram as the loop gets
// it, before the transport opens it, authentic or not (Arriving; Received
// comes after, for an authentic one), and just before the path sends one
// (Sending; Sent comes after). The keystroke trace uses them to time the
// wake-up that brought a datagram apart from its decryption, and the system
// call that sends (with the peer's wake-up that runs inside it on loopback)
// apart from the work that built the datagram.
type TracingApp interface {
	App
	Arriving(d Datagram)
	Sending(d []byte)
}

// Sources are the channels an App's events arrive on; nil ones are not
// waited on.
type Sources struct {
	// Input carries bytes: the user's keys (client) or the program's
	// output (server). Its close is an event too (EventInput, Closed).
	Input <-chan []byte
	// Feed, if set, is an Input given as a Feed (Input is then unused):
	// the loop takes its C and lets its reader run wake-ups for its bytes
	// itself.
	Feed *Feed
	// Signals carries the process's signals (SIGWINCH, SIGTERM, ...).
	Signals <-chan os.Signal
	// Exited fires when something the App waits for has ended (the
	// server's program was reaped).
	Exited <-chan struct{}
}

// EventKind says which source an Event came from.
type EventKind uint8

const (
	EventInput EventKind = iota
	EventSignal
	EventExited
)

// Event is one event from an App's Sources.
type Event struct {
	Kind   EventKind
	Bytes  []byte // EventInput
	Closed bool   // EventInput: the channel closed
	Signal os.Signal
}

// Earliest is the earliest of timers, the zero time meaning "never"; zero
// if all are. It is the one deadline computation of a wake-up: the
// transport's timers, a path's and an application's all go through it.
func Earliest(ts ...time.Time) time.Time {
	var e time.Time
	for _, t := range ts {
		if !t.IsZero() && (e.IsZero() || t.Before(e)) {
			e = t
		}
	}
	return e
}

// Run loops until ctx ends (returning ctx.Err()), the App or Done says the
// session is over, the path closes (ErrPathClosed) or the transport fails
// to encode a state. It does not close the path.
//
// On a DirectPath, and for a Feed among the App's sources, a reader
// goroutine runs the wake-up for its datagram or bytes itself when the
// loop is waiting (loop.deliver, loop.deliverInput); the wake-ups are
// serialized by a mutex either way, so the App sees one at a time.
func (p *Pump[L, R]) Run(ctx context.Context) error {
	l := &loop[L, R]{p: p, clock: p.Now, log: p.Logger, kick: make(chan struct{}, 1)}
	if l.clock == nil {
		l.clock = time.Now
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.mtuPath, _ = p.Path.(MTUPath)
	l.hopPath, _ = p.Path.(HopPath)
	l.wakePath, _ = p.Path.(WakePath)
	l.caps = p.recvCaps(l.log)
	l.incoming = p.Path.Incoming()
	l.timer = p.timer()
	defer l.timer.Close()

	l.mu.Lock()
	if dp, ok := p.Path.(DirectPath); ok {
		dp.SetReceiver(l.deliver)
		defer dp.SetReceiver(nil)
	}
	defer func() {
		l.mu.Lock()
		l.installFeed(nil)
		l.mu.Unlock()
	}()
	c := cause{}
	for {
		if done, err := l.wake(c); done {
			l.over = true
			l.mu.Unlock()
			return err
		}
		src := l.src
		l.waitSrc = src
		l.mu.Unlock()
		input := src.Input
		if src.Feed != nil {
			input = src.Feed.C
		}

		select {
		case <-ctx.Done():
			l.mu.Lock()
			l.over = true
			l.mu.Unlock()
			return ctx.Err()
		case d, ok := <-l.incoming:
			c = cause{kind: causeIncoming, d: d, closed: !ok}
		case b, ok := <-input:
			c = cause{kind: causeApp, ev: Event{Kind: EventInput, Bytes: b, Closed: !ok}}
			if ok {
				c.feed = src.Feed
			}
		case sig := <-src.Signals:
			c = cause{kind: causeApp, ev: Event{Kind: EventSignal, Signal: sig}}
		case <-src.Exited:
			c = cause{kind: causeApp, ev: Event{Kind: EventExited}}
		case ev := <-p.Events:
			c = cause{kind: causeFunc, fn: ev}
		case <-l.timer.C():
			c = cause{}
		case <-l.kick:
			c = cause{}
		}
		l.mu.Lock()
		if l.over {
			// A reader's wake-up ended the session.
			l.mu.Unlock()
			return l.err
		}
	}
}

// loop is one Run: what its wake-ups share.
type loop[L State[L], R State[R]] struct {
	p        *Pump[L, R]
	clock    func() time.Time
	log      *slog.Logger
	mtuPath  MTUPath
	hopPath  HopPath
	wakePath WakePath
	caps     recvCaps
	incoming <-chan Datagram
	timer    Timer

	// mu is held by whichever goroutine runs a wake-up: Run's, or a
	// reader's (deliver). The fields below are under it.
	mu sync.Mutex
	// src is what the next wait waits on, as the last wake-up left it;
	// waitSrc what Run's select waits on. A reader's wake-up that changes
	// it kicks Run to wait anew. Run always waits on the timer too: a
	// stopped or re-armed Timer delivers no stale tick, so a reader's
	// wake-up that arms it where none was set (a detached server's on a
	// new client's datagram) needs no kick, which would cost a goroutine
	// wake-up, often a thread's, and the loop keeps one fact less.
	src     Sources
	waitSrc Sources
	kick    chan struct{}
	// feed is the Feed whose reader has deliverInput installed.
	feed *Feed
	// over: the session ended (err is Run's result) or Run returned.
	over bool
	err  error
}

// causeKind says what ended a wait.
type causeKind uint8

const (
	causeNone     causeKind = iota // the timer, a kick, the first wake-up
	causeIncoming                  // a datagram from Incoming (then whatever else arrived)
	causeDatagram                  // one datagram a reader delivered
	causeApp                       // an event from the App's sources
	causeFunc                      // a function from Events
)

// cause is what ended a wait: a value, so a wake-up allocates nothing for it.
type cause struct {
	kind   causeKind
	d      Datagram
	closed bool // causeIncoming: the channel closed
	ev     Event
	feed   *Feed // causeApp: the Feed whose C brought ev (nil: none or direct)
	fn     func(now time.Time)
}

// deliver is the DirectPath receiver: a reader's datagram, handled on the
// reader's goroutine when the loop is waiting (otherwise false, and the
// reader sends it on Incoming). It never blocks: a reader must not wait
// for a wake-up that may be closing the reader's own path.
func (l *loop[L, R]) deliver(d Datagram) bool {
	if !l.mu.TryLock() {
		return false
	}
	defer l.mu.Unlock()
	if l.over {
		return false
	}
	l.after(l.wake(cause{kind: causeDatagram, d: d}))
	return true
}

// deliverInput is a Feed's receiver: the reader's bytes, handled on the
// reader's goroutine when the loop is waiting and has handled everything
// the Feed sent on its channel (otherwise false, and the reader sends on
// the channel, behind what is there).
func (l *loop[L, R]) deliverInput(f *Feed, b []byte) bool {
	if !l.mu.TryLock() {
		return false
	}
	defer l.mu.Unlock()
	if l.over || l.feed != f || f.pending.Load() != 0 {
		return false
	}
	l.after(l.wake(cause{kind: causeApp, ev: Event{Kind: EventInput, Bytes: b}}))
	return true
}

// after ends a wake-up run on a reader's goroutine: it records the end of
// the session, or kicks Run to wait anew if the wait it is in no longer
// fits (a new source).
func (l *loop[L, R]) after(done bool, err error) {
	switch {
	case done:
		l.over, l.err = true, err
	case l.src == l.waitSrc:
		return // Run's select already waits on the right things
	}
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// installFeed gives f's reader deliverInput, taking it from the Feed
// installed before (nil: none).
func (l *loop[L, R]) installFeed(f *Feed) {
	if f == l.feed {
		return
	}
	if l.feed != nil {
		l.feed.recv.Set(nil)
	}
	l.feed = f
	if f != nil {
		f.recv.Set(func(b []byte) bool { return l.deliverInput(f, b) })
	}
}

// wake runs one wake-up: what ended the wait (c), then App.Step, the
// transport's tick and its sends, the port hop, the path's timers,
// App.Settle and Done, and then arms the timer for the next wait.
func (l *loop[L, R]) wake(c cause) (bool, error) {
	p, t := l.p, l.p.Transport
	now := l.clock()
	switch c.kind {
	case causeIncoming:
		if c.closed {
			return true, ErrPathClosed
		}
		p.recv(c.d, now, &l.caps)
		// Take whatever else already arrived before ticking, so a
		// multi-fragment frame is handled in one go.
	drain:
		for {
			select {
			case d, ok := <-l.incoming:
				if !ok {
					return true, ErrPathClosed
				}
				p.recv(d, now, &l.caps)
			default:
				break drain
			}
		}
	case causeDatagram:
		p.recv(c.d, now, &l.caps)
	case causeApp:
		done, err := p.App.Handle(c.ev, now)
		if c.feed != nil {
			c.feed.handled()
		}
		if done {
			return true, err
		}
	case causeFunc:
		c.fn(now)
	}
	if p.App != nil {
		if done, err := p.App.Step(now); done {
			return true, err
		}
	}
	if l.mtuPath != nil {
		t.SetMTU(l.mtuPath.MTU())
	}
	dgs, err := t.Tick(now)
	if err != nil {
		return true, err
	}
	for _, dg := range dgs {
		if l.caps.tracing != nil {
			l.caps.tracing.Sending(dg)
		}
		err := p.Path.Send(dg)
		if err != nil {
			l.log.Debug("roam: send failed", "err", err)
		}
		if p.App != nil {
			p.App.Sent(dg, err, now)
		}
	}
	if l.hopPath != nil && t.ShouldHop(now) {
		if err := l.hopPath.Hop(); err != nil {
			l.log.Debug("roam: port hop failed", "err", err)
		} else {
			t.NoteHop(now)
		}
	}
	var pathWake time.Time
	if l.wakePath != nil {
		l.wakePath.Wake(now)
		pathWake = l.wakePath.NextWake()
	}
	if p.App != nil {
		if done, err := p.App.Settle(now); done {
			return true, err
		}
	}
	if p.Done != nil && p.Done(now) {
		return true, nil
	}

	var appWake time.Time
	l.src = Sources{}
	if p.App != nil {
		appWake = p.App.NextWake(now)
		l.src = p.App.Sources()
	}
	l.installFeed(l.src.Feed)
	if wake := Earliest(t.NextWake(now), pathWake, appWake); !wake.IsZero() {
		l.timer.Reset(wake, now)
	} else {
		l.timer.Stop()
	}
	return false, nil
}

// Timer is Run's wake-up timer: one goroutine uses it. Run re-arms it on
// every wake-up, mostly for the deadline it already has.
type Timer interface {
	// C receives a tick once the timer expires.
	C() <-chan time.Time
	// Reset arms the timer to expire at at (now is the loop's clock
	// reading); a tick for an earlier deadline is not delivered, one for
	// the same deadline may be (it is due).
	Reset(at, now time.Time)
	// Stop disarms it; a tick not yet received is not delivered.
	Stop()
	// Close releases it.
	Close()
}

func (p *Pump[L, R]) timer() Timer {
	if p.NewTimer != nil {
		if t, err := p.NewTimer(); err == nil {
			return t
		}
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	return goTimer{t}
}

// goTimer is a time.Timer as a Timer. Since Go 1.23 a stopped or reset
// time.Timer delivers nothing stale.
type goTimer struct{ t *time.Timer }

func (g goTimer) C() <-chan time.Time     { return g.t.C }
func (g goTimer) Reset(at, now time.Time) { g.t.Reset(max(at.Sub(now), 0)) }
func (g goTimer) Stop()                   { g.t.Stop() }
func (g goTimer) Close()                  { g.t.Stop() }

// Receive feeds one datagram to the transport as Run does, for a test that
// steps a session by hand on a fake clock; it must not be called while Run
// runs.
func (p *Pump[L, R]) Receive(d Datagram, now time.Time) {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	caps := p.recvCaps(log)
	p.recv(d, now, &caps)
}

// recvCaps is what recv needs of the path, the App and the logger, found
// once per Run: an optional capability is a dynamic interface check, a
// probe of the runtime's interface table that costs a few cache misses on
// each keystroke's path when made per datagram.
type recvCaps struct {
	log     *slog.Logger
	tracing TracingApp // p.App, when it is one
	roam    RoamPath   // p.Path, when it is one
	heard   HeardPath  // p.Path, when it is one
}

func (p *Pump[L, R]) recvCaps(log *slog.Logger) recvCaps {
	c := recvCaps{log: log}
	c.tracing, _ = p.App.(TracingApp)
	c.roam, _ = p.Path.(RoamPath)
	c.heard, _ = p.Path.(HeardPath)
	return c
}

// recv feeds one datagram to the transport and tells the path and the
// application what it proved: only a datagram newer than every one seen
// moves a server to a new client address or tells a path of several
// routes which one works (an older one may be a replay). The App, when it
// traces, hears of the datagram first.
func (p *Pump[L, R]) recv(d Datagram, now time.Time, c *recvCaps) {
	if c.tracing != nil {
		c.tracing.Arriving(d)
	}
	info, err := p.Transport.Recv(d.Data, now, d.Congested)
	if err != nil {
		c.log.Debug("roam: datagram dropped", "from", d.From, "err", err)
		return
	}
	if info.Newest {
		if c.roam != nil && p.Transport.side == Server && c.roam.Roam(d.From) {
			c.log.Info("server now attached to client", "addr", d.From)
		}
		if c.heard != nil {
			c.heard.Heard(d.From, now)
		}
	}
	if p.App != nil {
		p.App.Received(d, info, now)
	}
	if info.NewState && p.OnRemote != nil {
		p.OnRemote(now)
	}
}
