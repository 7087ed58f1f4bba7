package session

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
)

// ClientPaths is a client's datagram path made of a UDP path and an SSH
// stream that can be replaced (after a re-dial), with a PathChooser picking
// the route of each datagram. It implements ClientPath, and HeardPath so
// the client loop can tell it which route answered authentically.
//
// Datagrams of both routes arrive on one Incoming channel; From is a
// RouteAddr. The SSH stream may be absent (not yet started, or being
// re-dialled): SSHDead fires when the current one ends, so the owner of the
// SSH connection can dial again and Attach the new stream.
type ClientPaths struct {
	udp ClientPath // nil: SSH only
	now func() time.Time

	out  chan roam.Datagram
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	choose  *PathChooser
	ssh     *StreamPath
	sshStop chan struct{}
	sshGen  uint64
	sshDead chan struct{} // closed when the current stream ends; replaced on Attach
	redial  string        // status while the SSH stream is being re-dialled
	closed  bool
	last    []byte // the newest datagram sent, resent when the route changes
	lastOn  Route
}

var (
	_ ClientPath = (*ClientPaths)(nil)
	_ HeardPath  = (*ClientPaths)(nil)
	_ WakePath   = (*ClientPaths)(nil)
)

// HeardPath is a client path that wants to know which datagrams were
// authentic: the client loop calls Heard after Transport.Recv accepted one
// whose sequence number is above every one seen (RecvInfo.Newest), never
// for a replay.
type HeardPath interface {
	Heard(from net.Addr, now time.Time)
}

// WakePath is a client path with timers of its own: the loop wakes at
// NextWake (zero: none) and calls Wake.
type WakePath interface {
	NextWake() time.Time
	Wake(now time.Time)
}

// RouteAddr is the From of a datagram that came through ClientPaths.
type RouteAddr struct {
	Route Route
	Inner net.Addr
}

// Network implements net.Addr.
func (a RouteAddr) Network() string { return a.Route.String() }

func (a RouteAddr) String() string {
	if a.Inner == nil {
		return a.Route.String()
	}
	return a.Route.String() + ":" + a.Inner.String()
}

// streamKeepAlive is how often an SSH stream carries an empty frame, well
// within RelayIdle.
const streamKeepAlive = RelayIdle / 4

// NewClientPaths combines udp (nil for SSH only) with SSH streams attached
// later. choose decides routes; now is the clock (time.Now if nil).
func NewClientPaths(udp ClientPath, choose *PathChooser, now func() time.Time) *ClientPaths {
	if now == nil {
		now = time.Now
	}
	c := &ClientPaths{
		udp:     udp,
		now:     now,
		out:     make(chan roam.Datagram, 64),
		done:    make(chan struct{}),
		choose:  choose,
		sshDead: make(chan struct{}),
	}
	close(c.sshDead) // no stream yet: "dead" until one is attached
	if udp != nil {
		c.wg.Add(1)
		go c.forward(udp.Incoming(), RouteUDP, nil)
	}
	return c
}

// Attach makes rwc the SSH stream (closing the previous one) and returns the
// channel that is closed when it ends.
func (c *ClientPaths) Attach(rwc io.ReadWriteCloser) (<-chan struct{}, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = rwc.Close()
		return nil, net.ErrClosed
	}
	c.sshGen++
	sp := NewStreamPath(rwc, StreamAddr{Name: "ssh", ID: c.sshGen})
	old, oldStop := c.ssh, c.sshStop
	c.ssh, c.sshStop = sp, make(chan struct{})
	dead := make(chan struct{})
	c.sshDead = dead
	c.redial = ""
	c.choose.SetSSHUp(true)
	stop := c.sshStop
	c.mu.Unlock()
	if old != nil {
		close(oldStop)
		_ = old.Close()
	}
	c.wg.Add(2)
	go c.forward(sp.Incoming(), RouteSSH, stop)
	go func() {
		defer c.wg.Done()
		// An idle stream still carries an empty frame now and then: a
		// relay exits after RelayIdle without traffic, and in auto mode
		// the SSH stream may wait unused for hours while UDP works.
		tick := time.NewTicker(streamKeepAlive)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-sp.Dead():
				break wait
			case <-stop:
				break wait
			case <-c.done:
				break wait
			case <-tick.C:
				_ = sp.Send(nil)
			}
		}
		c.mu.Lock()
		if c.ssh == sp {
			c.choose.SetSSHUp(false)
		}
		c.mu.Unlock()
		close(dead)
	}()
	return dead, nil
}

// SetRedialing sets the status shown while the SSH stream is being dialled
// again ("" when done).
func (c *ClientPaths) SetRedialing(status string) {
	c.mu.Lock()
	c.redial = status
	c.mu.Unlock()
}

// forward moves a route's datagrams to out.
func (c *ClientPaths) forward(in <-chan roam.Datagram, r Route, stop <-chan struct{}) {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case <-stop:
			return
		case d, ok := <-in:
			if !ok {
				return
			}
			d.From = RouteAddr{Route: r, Inner: d.From}
			select {
			case c.out <- d:
			case <-c.done:
				return
			}
		}
	}
}

// Incoming implements ClientPath.
func (c *ClientPaths) Incoming() <-chan roam.Datagram { return c.out }

// Send implements ClientPath: by the route the chooser picks.
func (c *ClientPaths) Send(b []byte) error {
	now := c.now()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	r := c.choose.Route(now)
	ssh := c.ssh
	c.last, c.lastOn = append(c.last[:0], b...), r
	c.mu.Unlock()
	return c.sendOn(r, ssh, b)
}

// sendOn sends b by route r.
func (c *ClientPaths) sendOn(r Route, ssh *StreamPath, b []byte) error {
	if r == RouteSSH && ssh != nil {
		return ssh.Send(b)
	}
	if c.udp == nil {
		if ssh == nil {
			return ErrStreamDead
		}
		return ssh.Send(b)
	}
	return c.udp.Send(b)
}

// Hop implements ClientPath: the UDP route moves to a new port (the SSH
// stream has no port to change).
func (c *ClientPaths) Hop() error {
	if c.udp == nil {
		return nil
	}
	return c.udp.Hop()
}

// Heard implements HeardPath.
func (c *ClientPaths) Heard(from net.Addr, now time.Time) {
	ra, ok := from.(RouteAddr)
	if !ok {
		return
	}
	c.mu.Lock()
	c.choose.Heard(ra.Route, now)
	c.mu.Unlock()
}

// OnSSH reports whether the session's datagrams go over SSH now.
func (c *ClientPaths) OnSSH() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.choose.OnSSH()
}

// NextWake implements WakePath: when the route choice may change by
// itself (zero: never).
func (c *ClientPaths) NextWake() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.choose.NextWake()
}

// Wake implements WakePath. When UDP has been silent too long the route
// moves to SSH now, not at the transport's next send (up to 3 s later
// while connecting): the newest datagram is sent again by SSH. A copy that
// did arrive by UDP is a duplicate the server ignores.
func (c *ClientPaths) Wake(now time.Time) {
	c.mu.Lock()
	if c.closed || c.choose.OnSSH() || c.choose.Mode != TransportAuto {
		c.mu.Unlock()
		return
	}
	r := c.choose.Route(now)
	if r != RouteSSH || len(c.last) == 0 || c.lastOn == RouteSSH {
		c.mu.Unlock()
		return
	}
	b := append([]byte(nil), c.last...)
	c.lastOn = RouteSSH
	ssh := c.ssh
	c.mu.Unlock()
	_ = c.sendOn(RouteSSH, ssh, b)
}

// Status is the notification-bar text: which path carries the session while
// it is not UDP, and the re-dial in progress.
func (c *ClientPaths) Status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.redial != "" && c.choose.OnSSH() {
		// While UDP carries the session, a re-dial of the standby SSH
		// connection is nothing the user needs to see.
		return c.redial
	}
	switch {
	case c.choose.Mode == TransportSSH:
		return "Over SSH."
	case c.choose.OnSSH():
		return fmt.Sprintf("Over SSH (no reply on UDP port %d).", c.choose.Port)
	}
	return ""
}

// Route names the route the session's datagrams take now, for the status
// the user asks for.
func (c *ClientPaths) Route() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.choose.Mode == TransportSSH:
		return "SSH"
	case c.choose.OnSSH():
		return fmt.Sprintf("SSH (UDP %d silent)", c.choose.Port)
	}
	return fmt.Sprintf("UDP port %d", c.choose.Port)
}

// Close closes both routes and Incoming. Safe to repeat.
func (c *ClientPaths) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ssh := c.ssh
	c.mu.Unlock()
	close(c.done)
	var errs []error
	if ssh != nil {
		if err := ssh.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if cl, ok := c.udp.(io.Closer); ok && c.udp != nil {
		if err := cl.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	c.wg.Wait()
	close(c.out)
	return errors.Join(errs...)
}
