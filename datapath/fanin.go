package datapath

import (
	"errors"
	"io"
	"net"
	"sync"

	"github.com/ssh-mosh/ssh-mosh/roam"
)

// fanIn merges the datagrams of several member paths into one channel, the
// one a session loop reads. It is the core of both multiplexers: a server's
// Multipath (its UDP socket and the SSH streams that reach it) and a
// client's ClientPaths (UDP and the SSH stream). Each member's datagrams
// get their From rewritten by the member's tag, so the owner can tell
// which member delivered a datagram; members join and leave while the
// session runs.
//
// A member leaves when its Incoming closes, when its Dead channel fires
// (a path that can end on its own, like StreamPath), at remove, or at
// close. Leaving closes the member (if it is an io.Closer) and then runs
// its ended callback, exactly once.
type fanIn struct {
	out  chan roam.Datagram
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	members map[uint64]*member
	order   []uint64 // member ids, oldest first
	nextID  uint64
	closed  bool

	// recv holds the loop's DirectPath receiver: members that are
	// DirectPaths hand their datagrams to it, tagged, from their own
	// reader goroutines, without the forwarder's hop.
	recv roam.Receiver[roam.Datagram]
}

// source is what a member must offer: datagrams. A member that is also an
// io.Closer is closed when it leaves.
type source interface {
	Incoming() <-chan roam.Datagram
}

// member is one path of a fanIn.
type member struct {
	src   source
	tag   func(from net.Addr) net.Addr
	ended func() // may be nil
	stop  chan struct{}
}

// deadPath is a path that can end on its own (StreamPath).
type deadPath interface{ Dead() <-chan struct{} }

// errClosed is returned by add after close.
var errClosed = errors.New("datapath: closed")

func newFanIn() *fanIn {
	return &fanIn{
		out:     make(chan roam.Datagram, 64),
		done:    make(chan struct{}),
		members: map[uint64]*member{},
	}
}

// add makes src a member and returns its id. tag(id, from) is the From its
// datagrams report; ended, if set, runs once when the member leaves. After
// close, add closes src, runs nothing and returns errClosed.
func (f *fanIn) add(src source, tag func(id uint64, from net.Addr) net.Addr, ended func()) (uint64, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		closeSource(src)
		return 0, errClosed
	}
	f.nextID++
	id := f.nextID
	mb := &member{src: src, ended: ended, stop: make(chan struct{})}
	mb.tag = func(from net.Addr) net.Addr { return tag(id, from) }
	if dp, ok := src.(roam.DirectPath); ok {
		dp.SetReceiver(func(d roam.Datagram) bool {
			select {
			case <-mb.stop: // left: as the forwarder, deliver nothing more
				return false
			default:
			}
			d.From = mb.tag(d.From)
			return f.recv.Deliver(d)
		})
	}
	f.members[id] = mb
	f.order = append(f.order, id)
	f.wg.Add(1)
	f.mu.Unlock()
	go f.forward(id, mb)
	return id, nil
}

// ids returns the live members, oldest first.
func (f *fanIn) ids() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint64(nil), f.order...)
}

// get returns member id's source (nil if it has left).
func (f *fanIn) get(id uint64) source {
	f.mu.Lock()
	defer f.mu.Unlock()
	if mb := f.members[id]; mb != nil {
		return mb.src
	}
	return nil
}

// forward moves id's datagrams to out until the member leaves.
func (f *fanIn) forward(id uint64, mb *member) {
	defer f.wg.Done()
	var dead <-chan struct{}
	if d, ok := mb.src.(deadPath); ok {
		dead = d.Dead()
	}
	in := mb.src.Incoming()
	for {
		select {
		case <-f.done:
			return
		case <-mb.stop:
			return
		case <-dead:
			f.remove(id)
			return
		case d, ok := <-in:
			if !ok {
				f.remove(id)
				return
			}
			d.From = mb.tag(d.From)
			select {
			case f.out <- d:
			case <-f.done:
				return
			case <-mb.stop:
				return
			}
		}
	}
}

// remove makes member id leave (nothing if it already has).
func (f *fanIn) remove(id uint64) {
	f.mu.Lock()
	mb, ok := f.members[id]
	if ok {
		delete(f.members, id)
		for i, o := range f.order {
			if o == id {
				f.order = append(f.order[:i], f.order[i+1:]...)
				break
			}
		}
	}
	f.mu.Unlock()
	if ok {
		close(mb.stop)
		closeSource(mb.src)
		if mb.ended != nil {
			mb.ended()
		}
	}
}

// close makes every member leave, waits for the forwarders and closes out.
// Safe to repeat. It returns the members' Close errors (net.ErrClosed
// aside).
func (f *fanIn) close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	mbs := make([]*member, 0, len(f.order))
	for _, id := range f.order {
		mbs = append(mbs, f.members[id])
	}
	f.members, f.order = map[uint64]*member{}, nil
	f.mu.Unlock()
	close(f.done)
	var errs []error
	for _, mb := range mbs {
		if err := closeSource(mb.src); err != nil {
			errs = append(errs, err)
		}
		if mb.ended != nil {
			mb.ended()
		}
	}
	f.wg.Wait()
	close(f.out)
	return errors.Join(errs...)
}

// closeSource closes src if it can be closed; net.ErrClosed (already
// closed) is no error.
func closeSource(src source) error {
	cl, ok := src.(io.Closer)
	if !ok {
		return nil
	}
	if err := cl.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
