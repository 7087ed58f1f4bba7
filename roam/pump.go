package roam

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"
)

// ErrPathClosed is returned by Pump.Run when the path's Incoming channel
// closed under it.
var ErrPathClosed = errors.New("roam: path closed")

// Pump is the single-goroutine loop that drives a Transport over a Path:
// the one event loop of a session, the client's and the server's alike
// (package session runs both on it, as configurations: an App). Run owns
// the transport while it runs; everything else reaches the transport
// through the App's sources or Events, whose handlers run on the loop
// goroutine.
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
	// reading Remote); each function runs on the loop goroutine with the
	// wake-up's clock reading. May be nil.
	Events <-chan func(now time.Time)
	// OnRemote, if set, runs on the loop goroutine after a datagram brought
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
// user's terminal) or server (the program on a pty). Every method runs on
// the loop goroutine with the clock reading of the current wake-up. A
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
	// Received runs after Transport.Recv accepted a datagram.
	Received(d Datagram, info RecvInfo, now time.Time)
	// Sources are the application's event channels for the next wait;
	// asked at every wake-up, so they may change (a pty that opens).
	Sources() Sources
	// Handle runs for an event from Sources.
	Handle(ev Event, now time.Time) (done bool, err error)
}

// Sources are the channels an App's events arrive on; nil ones are not
// waited on.
type Sources struct {
	// Input carries bytes: the user's keys (client) or the program's
	// output (server). Its close is an event too (EventInput, Closed).
	Input <-chan []byte
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
func (p *Pump[L, R]) Run(ctx context.Context) error {
	clock := p.Now
	if clock == nil {
		clock = time.Now
	}
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := p.Transport
	mtuPath, _ := p.Path.(MTUPath)
	hopPath, _ := p.Path.(HopPath)
	wakePath, _ := p.Path.(WakePath)
	incoming := p.Path.Incoming()

	timer := p.timer()
	defer timer.Close()
	// woke is what ended the last wait; nil for the first wake-up.
	var woke func(now time.Time) (bool, error)
	for {
		now := clock()
		if woke != nil {
			if done, err := woke(now); done {
				return err
			}
		}
		if p.App != nil {
			if done, err := p.App.Step(now); done {
				return err
			}
		}
		if mtuPath != nil {
			t.SetMTU(mtuPath.MTU())
		}
		dgs, err := t.Tick(now)
		if err != nil {
			return err
		}
		for _, dg := range dgs {
			err := p.Path.Send(dg)
			if err != nil {
				log.Debug("roam: send failed", "err", err)
			}
			if p.App != nil {
				p.App.Sent(dg, err, now)
			}
		}
		if hopPath != nil && t.ShouldHop(now) {
			if err := hopPath.Hop(); err != nil {
				log.Debug("roam: port hop failed", "err", err)
			} else {
				t.NoteHop(now)
			}
		}
		var pathWake time.Time
		if wakePath != nil {
			wakePath.Wake(now)
			pathWake = wakePath.NextWake()
		}
		if p.App != nil {
			if done, err := p.App.Settle(now); done {
				return err
			}
		}
		if p.Done != nil && p.Done(now) {
			return nil
		}

		var appWake time.Time
		var src Sources
		if p.App != nil {
			appWake = p.App.NextWake(now)
			src = p.App.Sources()
		}
		timerC := (<-chan time.Time)(nil)
		if wake := Earliest(t.NextWake(now), pathWake, appWake); !wake.IsZero() {
			timer.Reset(wake, now)
			timerC = timer.C()
		} else {
			timer.Stop()
		}

		select {
		case <-ctx.Done():
			return ctx.Err()
		case d, ok := <-incoming:
			woke = func(now time.Time) (bool, error) {
				if !ok {
					return true, ErrPathClosed
				}
				p.recv(d, now, log)
				// Take whatever else already arrived before ticking, so
				// a multi-fragment frame is handled in one go.
				for {
					select {
					case d, ok := <-incoming:
						if !ok {
							return true, ErrPathClosed
						}
						p.recv(d, now, log)
					default:
						return false, nil
					}
				}
			}
		case b, ok := <-src.Input:
			woke = p.handle(Event{Kind: EventInput, Bytes: b, Closed: !ok})
		case sig := <-src.Signals:
			woke = p.handle(Event{Kind: EventSignal, Signal: sig})
		case <-src.Exited:
			woke = p.handle(Event{Kind: EventExited})
		case ev := <-p.Events:
			woke = func(now time.Time) (bool, error) { ev(now); return false, nil }
		case <-timerC:
			woke = nil
		}
	}
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

func (p *Pump[L, R]) handle(ev Event) func(time.Time) (bool, error) {
	return func(now time.Time) (bool, error) { return p.App.Handle(ev, now) }
}

// Receive feeds one datagram to the transport as Run does, for a test that
// steps a session by hand on a fake clock; it must not be called while Run
// runs.
func (p *Pump[L, R]) Receive(d Datagram, now time.Time) {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p.recv(d, now, log)
}

// recv feeds one datagram to the transport and tells the path and the
// application what it proved: only a datagram newer than every one seen
// moves a server to a new client address or tells a path of several
// routes which one works (an older one may be a replay).
func (p *Pump[L, R]) recv(d Datagram, now time.Time, log *slog.Logger) {
	info, err := p.Transport.Recv(d.Data, now, d.Congested)
	if err != nil {
		log.Debug("roam: datagram dropped", "from", d.From, "err", err)
		return
	}
	if info.Newest {
		if rp, ok := p.Path.(RoamPath); ok && p.Transport.side == Server && rp.Roam(d.From) {
			log.Info("server now attached to client", "addr", d.From)
		}
		if hp, ok := p.Path.(HeardPath); ok {
			hp.Heard(d.From, now)
		}
	}
	if p.App != nil {
		p.App.Received(d, info, now)
	}
	if info.NewState && p.OnRemote != nil {
		p.OnRemote(now)
	}
}
