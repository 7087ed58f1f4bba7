package main

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/session"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// sideLink is the SSH connection a roaming session keeps beside its
// datagrams: the SSH datagram path and the port and agent forwards ride
// it. The sshcfg.Link keeps it alive and dials it again after a network
// change, asking its questions in the session's notification bar.
type sideLink struct {
	link    *sshcfg.Link
	prompts chan *session.Prompt
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // closed when the Link's Run has returned
	started atomic.Bool

	// changed is signalled (never blocking) when status may say something
	// new: the session redraws its bar at once.
	changed chan struct{}

	mu    sync.Mutex
	paths *datapath.ClientPaths // the SSH datagram path, when one runs
	note  string                // the Link's news while no path shows it
}

func newSideLink(conn *sshcfg.Conn) *sideLink {
	ctx, cancel := context.WithCancel(context.Background())
	s := &sideLink{prompts: make(chan *session.Prompt), changed: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	s.link = sshcfg.NewLink(conn, sshcfg.LinkOptions{
		UI:        &overlayPrompter{ctx: ctx, prompts: s.prompts},
		Status:    s.onStatus,
		Connected: func(*sshcfg.Conn) { s.setNote("") },
	})
	return s
}

// start runs the Link (once; later calls do nothing).
func (s *sideLink) start() {
	if s.started.CompareAndSwap(false, true) {
		go func() {
			defer close(s.done)
			_ = s.link.Run(s.ctx)
		}()
	}
}

// stop ends the Link and waits for it; the connection stays open (conn).
func (s *sideLink) stop() {
	s.cancel()
	if s.started.Load() {
		<-s.done
	}
}

// conn is the current connection.
func (s *sideLink) conn() *sshcfg.Conn { return s.link.Conn() }

func (s *sideLink) setPaths(p *datapath.ClientPaths) {
	s.mu.Lock()
	s.paths = p
	s.mu.Unlock()
}

func (s *sideLink) setNote(n string) {
	s.mu.Lock()
	s.note = n
	s.mu.Unlock()
	s.notify()
}

// notify tells the session that status may have changed.
func (s *sideLink) notify() {
	select {
	case s.changed <- struct{}{}:
	default: // one pending wake-up is enough
	}
}

func (s *sideLink) onStatus(err error) {
	msg := linkStatus(err)
	s.mu.Lock()
	p := s.paths
	s.note = msg
	s.mu.Unlock()
	if p != nil {
		p.SetRedialing(msg)
	}
	s.notify()
}

// status is the notification bar's text: the SSH path's when it has one;
// else, when forwards ride the connection (forwards non-nil), the Link's
// re-dial or what forwards says (remote forwards being requested again).
func (s *sideLink) status(forwards func() string) string {
	s.mu.Lock()
	p, note := s.paths, s.note
	s.mu.Unlock()
	if p != nil {
		if st := p.Status(); st != "" {
			return st
		}
	}
	switch {
	case forwards == nil:
		return ""
	case note != "":
		return "Re-establishing forwards: " + note
	}
	return forwards()
}
