package roam

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// Datagram is one datagram received on a Path.
type Datagram struct {
	// Data is owned by the receiver of the Datagram.
	Data []byte
	// From is the sender's address (for a server, where the client is now).
	From net.Addr
	// Congested reports that the IP header carried ECN CE (0b11).
	Congested bool
}

// Path carries the session's datagrams: a UDP socket (UDPServer,
// UDPClient), or any other datagram path such as an SSH channel. One
// goroutine, the session loop (see Pump), calls Send and reads Incoming.
//
// Optional capabilities are separate interfaces the loop finds by type
// assertion: MTUPath, RoamPath (servers), HopPath (clients), HeardPath and
// WakePath (paths of several routes).
type Path interface {
	// Send transmits one datagram to the peer. A failure is reported but is
	// not fatal: the transport retransmits.
	Send(b []byte) error
	// Incoming delivers received datagrams. It is closed once Close has
	// stopped every reader.
	Incoming() <-chan Datagram
	// Close stops the readers and releases the path. It is safe to call
	// more than once; later calls return nil.
	Close() error
}

// MTUPath reports the datagram size limit of a path; it may shrink (for UDP,
// to wire.MTUFallback after EMSGSIZE).
type MTUPath interface {
	MTU() int
}

// RoamPath is a server path that can follow its client to a new address.
// The loop calls Roam only for datagrams Transport.Recv judged authentic and
// newest (RecvInfo.Newest).
type RoamPath interface {
	Roam(to net.Addr) bool
}

// HopPath is a client path that can move to a new source port
// (Transport.ShouldHop decides when).
type HopPath interface {
	Hop() error
}

// HeardPath is a path made of several routes that wants to know which of
// them delivered authentic datagrams: the loop calls Heard after
// Transport.Recv accepted one whose sequence number is above every one seen
// (RecvInfo.Newest), never for a replay.
type HeardPath interface {
	Heard(from net.Addr, now time.Time)
}

// WakePath is a path with timers of its own (a route choice that changes
// with time): the loop wakes at NextWake (zero: never) and calls Wake.
type WakePath interface {
	NextWake() time.Time
	Wake(now time.Time)
}

// DirectPath is a path whose reader goroutines can hand a datagram to the
// loop by running the loop's wake-up themselves, instead of sending it on
// Incoming for the loop's goroutine to take: that hand-off (a channel send,
// a goroutine switch, the select's bookkeeping) is on every keystroke's
// path at both ends. Run installs a receiver while it runs (nil when it
// returns); a reader calls it for each datagram and sends the datagram on
// Incoming as before when it returns false (no receiver, the loop busy or
// finished). The datagram's Data is the reader's buffer, valid only during
// the call. Datagram order between the two ways is not kept, which UDP
// never promised.
type DirectPath interface {
	SetReceiver(fn func(Datagram) bool)
}

// ErrNoPeer is returned by a server's Send before any client was seen.
var ErrNoPeer = errors.New("roam: no client address yet")

// readLoop reads datagrams from pc into out until pc is closed or done is
// closed. It is the only reader of pc. Transient errors are retried, with a
// short pause once they repeat, so a persistent error cannot spin a CPU.
// Each datagram goes first to the receiver recv holds (DirectPath), if any.
func readLoop(pc net.PacketConn, out chan<- Datagram, done <-chan struct{}, recv *Receiver[Datagram]) {
	// deliver hands a datagram on; false when the path is closing.
	deliver := func(data []byte, from net.Addr, congested bool) bool {
		// A receiver handles the datagram before it returns: it may have
		// the buffer itself.
		if recv != nil && recv.Deliver(Datagram{Data: data, From: from, Congested: congested}) {
			return true
		}
		d := Datagram{Data: append([]byte(nil), data...), From: from, Congested: congested}
		select {
		case out <- d:
		case <-done:
			return false
		}
		// Let the loop handle it before this goroutine goes on reading.
		runtime.Gosched()
		return true
	}
	failures := 0
	// stop reports whether a read's error ends the loop; a transient one
	// is retried, after a pause once they repeat.
	stop := func(err error) bool {
		if errors.Is(err, net.ErrClosed) {
			return true
		}
		select {
		case <-done:
			return true
		default:
		}
		failures++
		if failures > 10 {
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	// A UDP socket is read with nbio: no scheduler hand-off per datagram,
	// and no read that finds the socket empty after each (ReadEach).
	if uc := rawUDP(pc); uc != nil {
		for {
			// One more than the largest: an oversize datagram shows as such.
			err := uc.ReadEach(wire.MaxDatagram+1, 128, func(m nbio.Msg) bool {
				failures = 0
				var from net.Addr
				if m.From != nil {
					from = m.From
				}
				return deliver(m.Data, from, ecnCE(m.OOB))
			})
			if err == nil || stop(err) {
				return // nil: deliver stopped it, the path is closing
			}
		}
	}
	buf := make([]byte, wire.MaxDatagram+1)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if stop(err) {
				return
			}
			continue
		}
		failures = 0
		if !deliver(buf[:n], from, false) {
			return
		}
	}
}

// Receiver holds the function a reader hands its datagrams (DirectPath)
// or bytes (Feed) to while a loop runs; the zero value holds none. Set and
// Deliver may be called from any goroutines.
type Receiver[T any] struct {
	fn atomic.Pointer[func(T) bool]
}

// Set installs fn (nil: none).
func (r *Receiver[T]) Set(fn func(T) bool) {
	if fn == nil {
		r.fn.Store(nil)
		return
	}
	r.fn.Store(&fn)
}

// Deliver hands v to the installed function and reports whether it took
// v; false when none is installed.
func (r *Receiver[T]) Deliver(v T) bool {
	fn := r.fn.Load()
	return fn != nil && (*fn)(v)
}

// readers owns the reader goroutines of a path and the channel they feed.
type readers struct {
	out       chan Datagram
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	recv      Receiver[Datagram]
}

// incomingBuffer absorbs bursts (a multi-fragment frame) while the loop is
// busy.
const incomingBuffer = 64

func newReaders() *readers {
	return &readers{out: make(chan Datagram, incomingBuffer), done: make(chan struct{})}
}

func (r *readers) start(pc net.PacketConn) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		readLoop(pc, r.out, r.done, &r.recv)
	}()
}

// stop ends the readers and closes out. First done, so that a reader
// waiting to queue a datagram gives up; then closeConns closes their
// sockets, which ends a reader waiting in a read. In this order because
// closing a socket waits for a read in progress, and nbio's ReadEach
// hands datagrams on inside the read.
func (r *readers) stop(closeConns func()) {
	r.closeOnce.Do(func() {
		close(r.done)
		closeConns()
		r.wg.Wait()
		close(r.out)
	})
}

// isMsgSize reports a send that failed because the datagram is too big.
func isMsgSize(err error) bool { return errors.Is(err, syscall.EMSGSIZE) }
