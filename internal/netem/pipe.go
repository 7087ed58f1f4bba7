package netem

import (
	"net"
	"os"
	"sync"
	"time"
)

// PipeAddr is the address of one end of a Pipe.
type PipeAddr string

// Network implements net.Addr.
func (a PipeAddr) Network() string { return "memory" }

// String implements net.Addr.
func (a PipeAddr) String() string { return string(a) }

// pipeQueue is how many datagrams an end buffers before dropping, like a
// socket receive buffer.
const pipeQueue = 1024

// Pipe returns two in-memory datagram sockets wired to each other, with
// addresses "pipe-a" and "pipe-b". WriteTo copies the datagram into the
// other end's queue whatever address it is given (the queue drops when
// full, as UDP does); ReadFrom reports the writer's address. Close makes
// the end's blocked and later reads and writes fail with net.ErrClosed;
// writes to a closed peer vanish silently. There are no background
// goroutines, so a Pipe made inside a testing/synctest bubble runs on the
// bubble's fake clock.
func Pipe() (net.PacketConn, net.PacketConn) {
	a := newPipeEnd(PipeAddr("pipe-a"))
	b := newPipeEnd(PipeAddr("pipe-b"))
	a.peer, b.peer = b, a
	return a, b
}

type pipeDatagram struct {
	data []byte
	from net.Addr
}

type pipeEnd struct {
	addr PipeAddr
	peer *pipeEnd
	q    chan pipeDatagram
	done chan struct{}
	once sync.Once

	mu           sync.Mutex
	readDeadline deadline
}

var _ net.PacketConn = (*pipeEnd)(nil)

func newPipeEnd(addr PipeAddr) *pipeEnd {
	return &pipeEnd{addr: addr, q: make(chan pipeDatagram, pipeQueue), done: make(chan struct{})}
}

func (e *pipeEnd) ReadFrom(b []byte) (int, net.Addr, error) {
	e.mu.Lock()
	expired := e.readDeadline.wait()
	e.mu.Unlock()
	// Closed first, then queued data before an expired deadline, so that
	// the outcome never depends on select's random choice.
	select {
	case <-e.done:
		return 0, nil, net.ErrClosed
	default:
	}
	select {
	case d := <-e.q:
		return copy(b, d.data), d.from, nil
	default:
	}
	select {
	case d := <-e.q:
		return copy(b, d.data), d.from, nil
	case <-e.done:
		return 0, nil, net.ErrClosed
	case <-expired:
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (e *pipeEnd) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-e.done:
		return 0, net.ErrClosed
	default:
	}
	select {
	case <-e.peer.done:
	case e.peer.q <- pipeDatagram{data: append([]byte(nil), b...), from: e.addr}:
	default: // queue full: dropped
	}
	return len(b), nil
}

func (e *pipeEnd) Close() error {
	e.once.Do(func() { close(e.done) })
	return nil
}

func (e *pipeEnd) LocalAddr() net.Addr { return e.addr }

func (e *pipeEnd) SetDeadline(t time.Time) error { return e.SetReadDeadline(t) }

func (e *pipeEnd) SetReadDeadline(t time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.readDeadline.set(t)
	return nil
}

// SetWriteDeadline is accepted and ignored: writes never block.
func (e *pipeEnd) SetWriteDeadline(time.Time) error { return nil }

// deadline turns a read deadline into a channel that closes when it passes,
// so that a reader blocked before SetReadDeadline also wakes up.
type deadline struct {
	t      time.Time
	timer  *time.Timer
	expiry chan struct{} // closed when t passes; nil while no deadline
}

// set changes the deadline; the zero time removes it.
func (d *deadline) set(t time.Time) {
	if d.timer != nil && !d.timer.Stop() {
		d.expiry = nil // its callback has run or is running: that channel closes
	}
	d.timer = nil
	d.t = t
	// A reader may hold the previous channel: close it only if it expired,
	// otherwise hand out a fresh one.
	if d.expiry == nil || isClosed(d.expiry) {
		d.expiry = make(chan struct{})
	}
	if t.IsZero() {
		return
	}
	ch := d.expiry
	dur := time.Until(t)
	if dur <= 0 {
		close(ch)
		return
	}
	d.timer = time.AfterFunc(dur, func() { close(ch) })
}

// wait returns the channel a reader selects on; nil (never ready) if no
// deadline was ever set.
func (d *deadline) wait() <-chan struct{} { return d.expiry }

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
