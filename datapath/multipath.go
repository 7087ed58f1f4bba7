package datapath

import (
	"errors"
	"net"
	"sync"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// Multipath is a server's set of datagram paths — its UDP socket and the
// streams that reach it over SSH — behind one path. Datagrams from
// every member arrive on one Incoming channel, their From wrapped in a
// memberAddr; Send uses one member only: the one that delivered the newest
// authentic datagram, which the server loop reports through Roam (exactly
// as a UDP server follows a roaming client). Sending on every live path
// would make a client that sees both flap between them.
//
// Members join and leave while the session runs (a re-dialled SSH
// connection brings a new stream; a dead one leaves).
type Multipath struct {
	fan *fanIn

	mu     sync.Mutex
	active uint64 // 0 = none yet
}

var _ interface {
	roam.Path
	roam.RoamPath
	roam.MTUPath
} = (*Multipath)(nil)

// memberAddr is the From of a datagram that came through a Multipath: which
// member delivered it, and the member's own source address.
type memberAddr struct {
	ID    uint64
	Inner net.Addr
}

// Network implements net.Addr.
func (a memberAddr) Network() string {
	if a.Inner == nil {
		return "member"
	}
	return a.Inner.Network()
}

func (a memberAddr) String() string {
	if a.Inner == nil {
		return "member"
	}
	return a.Inner.String()
}

// errMultipathClosed is returned by Add after Close.
var errMultipathClosed = errors.New("datapath: multipath closed")

// NewMultipath returns an empty multipath.
func NewMultipath() *Multipath {
	return &Multipath{fan: newFanIn()}
}

// Add makes p a member and returns its id. The multipath owns p: it closes
// it when p ends (its Incoming closes, or its Dead channel fires), at Remove
// or at Close.
func (m *Multipath) Add(p roam.Path) (uint64, error) {
	tag := func(id uint64, from net.Addr) net.Addr { return memberAddr{ID: id, Inner: from} }
	var id uint64
	ended := func() {
		// A member that was active leaves nothing to send on until the
		// next authentic datagram names another.
		m.mu.Lock()
		if m.active == id {
			m.active = 0
		}
		m.mu.Unlock()
	}
	var err error
	m.mu.Lock() // ended cannot run before id is set
	id, err = m.fan.add(p, tag, ended)
	m.mu.Unlock()
	if err != nil {
		return 0, errMultipathClosed
	}
	return id, nil
}

// Members returns the ids of the live members, oldest first.
func (m *Multipath) Members() []uint64 { return m.fan.ids() }

// Active is the member Send uses: 0 before any authentic datagram, and 0
// once that member has left. A member leaves Members before its ended hook
// clears active (and Roam may name a member that leaves before it stores
// the id), so Active asks the fan-in too: it never reports a member that
// Members no longer lists.
func (m *Multipath) Active() uint64 {
	m.mu.Lock()
	id := m.active
	m.mu.Unlock()
	if id != 0 && m.fan.get(id) == nil {
		return 0
	}
	return id
}

// Remove closes member id and forgets it. If it was the active member,
// nothing is sent until the next authentic datagram names another.
func (m *Multipath) Remove(id uint64) { m.fan.remove(id) }

// Incoming implements roam.Path.
func (m *Multipath) Incoming() <-chan roam.Datagram { return m.fan.out }

// SetReceiver implements roam.DirectPath: members that are DirectPaths (UDP
// sockets) deliver to fn on their readers' goroutines.
func (m *Multipath) SetReceiver(fn func(roam.Datagram) bool) { m.fan.recv.Set(fn) }

// activePath is the member Send uses, nil if none.
func (m *Multipath) activePath() roam.Path {
	m.mu.Lock()
	id := m.active
	m.mu.Unlock()
	if id == 0 {
		return nil
	}
	p, _ := m.fan.get(id).(roam.Path)
	return p
}

// Send implements roam.Path: to the active member.
func (m *Multipath) Send(b []byte) error {
	p := m.activePath()
	if p == nil {
		return roam.ErrNoPeer
	}
	return p.Send(b)
}

// MTU implements roam.MTUPath: the active member's, when it has one;
// otherwise the oldest member's that has one (a stream has no MTU of its
// own, and the UDP socket's is what the transport must fit whichever member
// carries the session next); mosh's IPv4 MTU when none has.
func (m *Multipath) MTU() int {
	if mp, ok := m.activePath().(roam.MTUPath); ok {
		return mp.MTU()
	}
	for _, id := range m.fan.ids() {
		if mp, ok := m.fan.get(id).(roam.MTUPath); ok {
			return mp.MTU()
		}
	}
	return wire.MTUv4
}

// Roam implements roam.RoamPath. The server loop calls it for the newest
// authentic datagram: its member becomes the active one, and a member that
// can roam (UDP) follows the source address inside it. It reports whether
// anything changed.
func (m *Multipath) Roam(to net.Addr) bool {
	ma, ok := to.(memberAddr)
	if !ok {
		return false
	}
	p := m.fan.get(ma.ID)
	if p == nil {
		return false
	}
	m.mu.Lock()
	changed := m.active != ma.ID
	m.active = ma.ID
	m.mu.Unlock()
	if rp, ok := p.(roam.RoamPath); ok && ma.Inner != nil {
		if rp.Roam(ma.Inner) {
			changed = true
		}
	}
	return changed
}

// Close closes every member, waits for the forwarders and closes Incoming.
// Safe to repeat.
func (m *Multipath) Close() error { return m.fan.close() }
