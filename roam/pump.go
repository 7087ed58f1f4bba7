package roam

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrPathClosed is returned by Pump.Run when the path's Incoming channel
// closed under it.
var ErrPathClosed = errors.New("roam: path closed")

// idleWake bounds the loop's sleep when the transport has nothing scheduled
// (a server without a client), so Done is still polled now and then.
const idleWake = time.Second

// Pump is the single-goroutine loop that drives a Transport over a Path: it
// is the pattern a session's event loop follows, usable as is. Run owns the
// transport while it runs; everything else reaches the transport through
// Events, whose functions run on the loop goroutine.
//
// Each iteration: tick the transport and send what it returns (hopping the
// client's port or following the server's client when the transport says
// so), then wait for the first of a datagram, an application event, the
// transport's next wake-up, or ctx.
type Pump[L State[L], R State[R]] struct {
	Transport *Transport[L, R]
	Path      Path
	// Events carries application work (mutating Current, StartShutdown,
	// reading Remote); each function runs on the loop goroutine with the
	// loop's clock reading. May be nil.
	Events <-chan func(now time.Time)
	// OnRemote, if set, runs on the loop goroutine after a datagram brought
	// a new newest remote state.
	OnRemote func(now time.Time)
	// Done, if set, is asked after each iteration; Run returns nil once it
	// reports true (e.g. the shutdown handshake completed).
	Done func(now time.Time) bool
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Logger receives dropped datagrams and send errors at debug level
	// (nothing if nil).
	Logger *slog.Logger
}

// Run loops until ctx ends (returning ctx.Err()), Done reports true
// (returning nil), the path closes (ErrPathClosed) or the transport fails to
// encode a state. It does not close the path.
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
	roamPath, _ := p.Path.(RoamPath)
	hopPath, _ := p.Path.(HopPath)

	timer := time.NewTimer(idleWake)
	defer timer.Stop()
	for {
		now := clock()
		if mtuPath != nil {
			t.SetMTU(mtuPath.MTU())
		}
		dgs, err := t.Tick(now)
		if err != nil {
			return err
		}
		for _, dg := range dgs {
			if err := p.Path.Send(dg); err != nil {
				log.Debug("roam: send failed", "err", err)
			}
		}
		if len(dgs) > 0 && hopPath != nil && t.ShouldHop(now) {
			if err := hopPath.Hop(); err != nil {
				log.Debug("roam: port hop failed", "err", err)
			}
			t.NoteHop(now)
		}
		if p.Done != nil && p.Done(now) {
			return nil
		}

		wait := idleWake
		if w := t.NextWake(now); !w.IsZero() {
			wait = min(max(w.Sub(now), 0), idleWake)
		}
		timer.Reset(wait)

		select {
		case <-ctx.Done():
			return ctx.Err()
		case d, ok := <-p.Path.Incoming():
			if !ok {
				return ErrPathClosed
			}
			p.recv(d, clock(), roamPath, log)
			// Take whatever else already arrived before ticking, so a
			// multi-fragment frame is handled in one go.
			for drained := false; !drained; {
				select {
				case d, ok := <-p.Path.Incoming():
					if !ok {
						return ErrPathClosed
					}
					p.recv(d, clock(), roamPath, log)
				default:
					drained = true
				}
			}
		case ev := <-p.Events:
			ev(clock())
		case <-timer.C:
		}
	}
}

func (p *Pump[L, R]) recv(d Datagram, now time.Time, roamPath RoamPath, log *slog.Logger) {
	info, err := p.Transport.Recv(d.Data, now, d.Congested)
	if err != nil {
		log.Debug("roam: datagram dropped", "from", d.From, "err", err)
		return
	}
	if info.Newest && roamPath != nil && p.Transport.side == Server && roamPath.Roam(d.From) {
		log.Debug("roam: following client", "addr", d.From)
	}
	if info.NewState && p.OnRemote != nil {
		p.OnRemote(now)
	}
}
