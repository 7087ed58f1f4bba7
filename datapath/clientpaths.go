package datapath

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// ClientPaths is a client's datagram path made of a UDP path and an SSH
// stream that can be replaced (after a re-dial), with a PathChooser picking
// the route of each datagram. It implements roam.Path and roam.HopPath, and
// roam.HeardPath so the client loop can tell it which route answered
// authentically.
//
// Datagrams of both routes arrive on one Incoming channel (the fan-in core
// it shares with Multipath); From is a RouteAddr. The SSH stream may be
// absent (not yet started, or being re-dialled): the channel Attach returns
// fires when the current one ends, so the owner of the SSH connection can
// dial again and Attach the new stream.
type ClientPaths struct {
	udp UDPPath // nil: SSH only
	now func() time.Time
	fan *fanIn
	wg  sync.WaitGroup // the keepalive goroutines

	mu     sync.Mutex
	choose *PathChooser
	ssh    *StreamPath
	sshID  uint64 // the stream's member id in fan
	sshGen uint64 // numbers successive streams
	redial string // status while the SSH stream is being re-dialled
	closed bool
	last   []byte // the newest datagram sent, resent when the route changes
	lastOn Route
}

// UDPPath is the UDP route of ClientPaths (*roam.UDPClient): a path that
// can hop to a new source port.
type UDPPath interface {
	Incoming() <-chan roam.Datagram
	Send(b []byte) error
	Hop() error
}

var _ interface {
	roam.Path
	roam.HopPath
	roam.HeardPath
	roam.WakePath
	roam.MTUPath
} = (*ClientPaths)(nil)

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

// routeTag tags a route's datagrams with a RouteAddr.
func routeTag(r Route) func(uint64, net.Addr) net.Addr {
	return func(_ uint64, from net.Addr) net.Addr { return RouteAddr{Route: r, Inner: from} }
}

// NewClientPaths combines udp (nil for SSH only) with SSH streams attached
// later. choose decides routes; now is the clock (time.Now if nil).
func NewClientPaths(udp UDPPath, choose *PathChooser, now func() time.Time) *ClientPaths {
	if now == nil {
		now = time.Now
	}
	c := &ClientPaths{udp: udp, now: now, fan: newFanIn(), choose: choose}
	if udp != nil {
		_, _ = c.fan.add(udp, routeTag(RouteUDP), nil) // a new fanIn is open
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
	dead := make(chan struct{})
	ended := func() {
		c.mu.Lock()
		if c.ssh == sp {
			c.ssh, c.sshID = nil, 0
			c.choose.setSSHUp(false)
		}
		c.mu.Unlock()
		close(dead)
	}
	id, err := c.fan.add(sp, routeTag(RouteSSH), ended)
	if err != nil {
		c.mu.Unlock()
		return nil, net.ErrClosed
	}
	oldID := c.sshID
	c.ssh, c.sshID = sp, id
	c.redial = ""
	c.choose.setSSHUp(true)
	c.mu.Unlock()
	if oldID != 0 {
		c.fan.remove(oldID)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		// An idle stream still carries an empty frame now and then: a
		// relay exits after RelayIdle without traffic, and in auto mode
		// the SSH stream may wait unused for hours while UDP works.
		tick := time.NewTicker(streamKeepAlive)
		defer tick.Stop()
		for {
			select {
			case <-dead:
				return
			case <-tick.C:
				_ = sp.Send(nil)
			}
		}
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

// Incoming implements roam.Path.
func (c *ClientPaths) Incoming() <-chan roam.Datagram { return c.fan.out }

// SetReceiver implements roam.DirectPath: members that are DirectPaths (UDP
// sockets) deliver to fn on their readers' goroutines.
func (c *ClientPaths) SetReceiver(fn func(roam.Datagram) bool) { c.fan.recv.Set(fn) }

// Send implements roam.Path: by the route the chooser picks.
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
			return errStreamDead
		}
		return ssh.Send(b)
	}
	return c.udp.Send(b)
}

// Hop implements roam.HopPath: the UDP route moves to a new port (the SSH
// stream has no port to change).
func (c *ClientPaths) Hop() error {
	if c.udp == nil {
		return nil
	}
	return c.udp.Hop()
}

// Heard implements roam.HeardPath.
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

// NextWake implements roam.WakePath: when the route choice may change by
// itself (zero: never).
func (c *ClientPaths) NextWake() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.choose.NextWake()
}

// Wake implements roam.WakePath. When UDP has been silent too long the route
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

// MTU implements roam.MTUPath: the UDP route's when it has one, since a
// datagram may take either route (a stream has no MTU of its own); mosh's
// IPv4 MTU otherwise.
func (c *ClientPaths) MTU() int {
	if mp, ok := c.udp.(roam.MTUPath); ok {
		return mp.MTU()
	}
	return wire.MTUv4
}

// Close closes both routes and Incoming. Safe to repeat.
func (c *ClientPaths) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	err := c.fan.close()
	c.wg.Wait()
	return err
}
