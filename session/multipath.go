package session

import (
	"errors"
	"net"
	"sync"

	"github.com/ssh-mosh/ssh-mosh/roam"
)

// Multipath is a server's set of datagram paths — its UDP socket and the
// streams that reach it over SSH — behind one ServerPath. Datagrams from
// every member arrive on one Incoming channel, their From wrapped in a
// MemberAddr; Send uses one member only: the one that delivered the newest
// authentic datagram, which the server loop reports through Roam (exactly
// as a UDP server follows a roaming client). Sending on every live path
// would make a client that sees both flap between them.
//
// Members join and leave while the session runs (a re-dialled SSH
// connection brings a new stream; a dead one leaves).
type Multipath struct {
	out  chan roam.Datagram
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	members map[uint64]*member
	order   []uint64 // member ids, oldest first
	nextID  uint64
	active  uint64 // 0 = none yet
	closed  bool
}

var _ ServerPath = (*Multipath)(nil)

// member is one path of a Multipath.
type member struct {
	path roam.Path
	stop chan struct{}
}

// MemberAddr is the From of a datagram that came through a Multipath: which
// member delivered it, and the member's own source address.
type MemberAddr struct {
	ID    uint64
	Inner net.Addr
}

// Network implements net.Addr.
func (a MemberAddr) Network() string {
	if a.Inner == nil {
		return "member"
	}
	return a.Inner.Network()
}

func (a MemberAddr) String() string {
	if a.Inner == nil {
		return "member"
	}
	return a.Inner.String()
}

// ErrMultipathClosed is returned by Add after Close.
var ErrMultipathClosed = errors.New("session: multipath closed")

// NewMultipath returns an empty multipath.
func NewMultipath() *Multipath {
	return &Multipath{
		out:     make(chan roam.Datagram, 64),
		done:    make(chan struct{}),
		members: map[uint64]*member{},
	}
}

// deadPath is a path that can end on its own (StreamPath).
type deadPath interface{ Dead() <-chan struct{} }

// Add makes p a member and returns its id. The multipath owns p: it closes
// it when p ends (its Incoming closes, or its Dead channel fires), at Remove
// or at Close.
func (m *Multipath) Add(p roam.Path) (uint64, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		_ = p.Close()
		return 0, ErrMultipathClosed
	}
	m.nextID++
	id := m.nextID
	mb := &member{path: p, stop: make(chan struct{})}
	m.members[id] = mb
	m.order = append(m.order, id)
	m.mu.Unlock()
	m.wg.Add(1)
	go m.forward(id, mb)
	return id, nil
}

// Members returns the ids of the live members, oldest first.
func (m *Multipath) Members() []uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]uint64(nil), m.order...)
}

// Active is the member Send uses (0 before any authentic datagram).
func (m *Multipath) Active() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active
}

// forward moves id's datagrams to out until the member ends.
func (m *Multipath) forward(id uint64, mb *member) {
	defer m.wg.Done()
	var dead <-chan struct{}
	if d, ok := mb.path.(deadPath); ok {
		dead = d.Dead()
	}
	in := mb.path.Incoming()
	for {
		select {
		case <-m.done:
			return
		case <-mb.stop:
			return
		case <-dead:
			m.Remove(id)
			return
		case d, ok := <-in:
			if !ok {
				m.Remove(id)
				return
			}
			d.From = MemberAddr{ID: id, Inner: d.From}
			select {
			case m.out <- d:
			case <-m.done:
				return
			case <-mb.stop:
				return
			}
		}
	}
}

// Remove closes member id and forgets it. If it was the active member,
// nothing is sent until the next authentic datagram names another.
func (m *Multipath) Remove(id uint64) {
	m.mu.Lock()
	mb, ok := m.members[id]
	if ok {
		delete(m.members, id)
		for i, o := range m.order {
			if o == id {
				m.order = append(m.order[:i], m.order[i+1:]...)
				break
			}
		}
		if m.active == id {
			m.active = 0
		}
	}
	m.mu.Unlock()
	if ok {
		close(mb.stop)
		_ = mb.path.Close()
	}
}

// Incoming implements ServerPath.
func (m *Multipath) Incoming() <-chan roam.Datagram { return m.out }

// Send implements ServerPath: to the active member.
func (m *Multipath) Send(b []byte) error {
	m.mu.Lock()
	mb := m.members[m.active]
	m.mu.Unlock()
	if mb == nil {
		return roam.ErrNoPeer
	}
	return mb.path.Send(b)
}

// Roam implements ServerPath. The server loop calls it for the newest
// authentic datagram: its member becomes the active one, and a member that
// can roam (UDP) follows the source address inside it. It reports whether
// anything changed.
func (m *Multipath) Roam(to net.Addr) bool {
	ma, ok := to.(MemberAddr)
	if !ok {
		return false
	}
	m.mu.Lock()
	mb := m.members[ma.ID]
	if mb == nil {
		m.mu.Unlock()
		return false
	}
	changed := m.active != ma.ID
	m.active = ma.ID
	m.mu.Unlock()
	if rp, ok := mb.path.(roam.RoamPath); ok && ma.Inner != nil {
		if rp.Roam(ma.Inner) {
			changed = true
		}
	}
	return changed
}

// Close closes every member, waits for the forwarders and closes Incoming.
// Safe to repeat.
func (m *Multipath) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	ids := append([]uint64(nil), m.order...)
	m.mu.Unlock()
	close(m.done)
	var errs []error
	for _, id := range ids {
		m.mu.Lock()
		mb := m.members[id]
		delete(m.members, id)
		m.mu.Unlock()
		if mb != nil {
			if err := mb.path.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	m.wg.Wait()
	close(m.out)
	return errors.Join(errs...)
}
