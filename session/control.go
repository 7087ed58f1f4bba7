package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// Control requests reach a running server from outside its loop (the
// mosh-server's per-user control socket): what the session looks like, a
// takeover by a new client, an end. Each is answered on its Reply channel
// in a wake-up of the loop, which owns all the state they touch.

// ControlKind says what a ControlRequest asks.
type ControlKind uint8

const (
	// ControlInfo asks for the session's SessionInfo.
	ControlInfo ControlKind = iota
	// ControlTakeover switches the session to a fresh random key: a new
	// transport with its own sequence space, whose first state is the
	// whole screen diffed from a blank one. The old key is refused from
	// then on and its client is told the session is shutting down.
	ControlTakeover
	// ControlKill ends the session as SIGTERM does.
	ControlKill
)

// ControlRequest is one request; Reply must have room for one answer.
type ControlRequest struct {
	Kind  ControlKind
	Reply chan<- ControlReply
}

// ControlReply answers a ControlRequest.
type ControlReply struct {
	Info SessionInfo
	Key  wire.Key // ControlTakeover: the new session key
	Err  error
}

// SessionInfo is what a listing shows of a session.
type SessionInfo struct {
	Attached      bool      // a client was heard within attachedWithin and did not say it left
	Started       time.Time // when the server started
	LastContact   time.Time // last authentic datagram; zero if none yet
	Width, Height int
}

// attachedWithin is how recently a client must have been heard to count
// as attached: clients send at least a heartbeat every 3 s.
const attachedWithin = 10 * time.Second

// takenOverLine is what the old client's screen shows last.
const takenOverLine = "\r\n[ssh-mosh: this session was taken over by another client]\r\n"

// errTakeover ends one transport's pump so serve can start the next.
var errTakeover = errors.New("session taken over")

// control answers one request in a wake-up of the loop.
func (s *server) control(req ControlRequest, now time.Time) {
	var r ControlReply
	switch req.Kind {
	case ControlInfo:
		fb := s.emu.Framebuffer()
		r.Info = SessionInfo{
			Attached:    !s.left && !s.lastContact.IsZero() && now.Sub(s.lastContact) < attachedWithin,
			Started:     s.started,
			LastContact: s.lastContact,
			Width:       fb.Width(),
			Height:      fb.Height(),
		}
	case ControlTakeover:
		key, err := wire.NewKey()
		if err != nil {
			r.Err = err
			break
		}
		s.takeover = &key
		r.Key = key
	case ControlKill:
		s.killed = true
	}
	req.Reply <- r
}

// switchTransport replaces the transport with one on key: the old client
// is sent a shutdown (best effort: it learns that this session ended for
// it rather than waiting forever), and the new transport's reference
// state is blank, so its first diff redraws the whole screen.
func (s *server) switchTransport(key wire.Key, now time.Time) error {
	old := s.t
	fb := old.Current().Framebuffer()
	// The old client's last screen says why it ends: a copy of the
	// screen with one line added, so the live screen stays as it is.
	last := fb.Clone()
	_, _ = term.NewEmulatorFor(last).Write([]byte(takenOverLine))
	old.Current().fb = last
	if !old.ShutdownInProgress() {
		old.StartShutdown(now)
	}
	s.retired = old
	s.tickRetired(now)
	blank := newComplete(fb.Width(), fb.Height())
	t, err := roam.NewTransport(roam.Server, key, blank, newUserStream(), now, s.tcfg)
	if err != nil {
		return fmt.Errorf("starting the new transport: %w", err)
	}
	// The emulator keeps writing to the same screen; only the reference
	// (the blank clone the transport took) is new.
	blank.fb = fb
	s.t = t
	s.remote = 0
	s.echo = echoTracker{}
	s.ext = serverExtensions{}
	s.lastContact = time.Time{}
	s.lastData = now
	s.left = false
	return nil
}

// forwardControl hands each request to the loop as a Pump event, until
// done closes (serve returned).
func forwardControl(in <-chan ControlRequest, events chan<- func(time.Time), done <-chan struct{}, s *server) {
	for {
		select {
		case req, ok := <-in:
			if !ok {
				return
			}
			select {
			case events <- func(now time.Time) { s.control(req, now) }:
			case <-done:
				req.Reply <- ControlReply{Err: errors.New("the session ended")}
				return
			}
		case <-done:
			return
		}
	}
}

// tickRetired sends what the transport a takeover replaced still has to
// send: its shutdown, repeated until the ack timeout (its client's answers
// come on the old key and are refused, so the ack is never seen). A mosh
// client that gets the shutdown acks it and exits.
func (s *server) tickRetired(now time.Time) {
	if s.retired == nil {
		return
	}
	if s.retired.ShutdownAckTimedOut(now) {
		s.retired = nil
		return
	}
	dgs, err := s.retired.Tick(now)
	if err != nil {
		s.retired = nil
		return
	}
	for _, dg := range dgs {
		_ = s.cfg.Path.Send(dg)
	}
}

// retiredWake is when tickRetired next has something to do.
func (s *server) retiredWake(now time.Time) time.Time {
	if s.retired == nil {
		return time.Time{}
	}
	return s.retired.NextWake(now)
}
