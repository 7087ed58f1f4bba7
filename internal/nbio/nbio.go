// Package nbio reads and writes descriptors that wait in Go's network
// poller (sockets, a pty master, a terminal opened non-blocking) without
// the runtime's bookkeeping for calls that may block, where the system
// allows it.
//
// Why: an ordinary Go system call (syscall.Syscall) tells the scheduler it
// may block. That wakes the runtime's monitor thread (sysmon) if it was
// asleep, and with one P (session.OneProc) the monitor hands the P to a
// second thread when the call lasts longer than its 20 µs nap. On a
// non-blocking descriptor the call cannot block, so all of that is waste:
// on an idle session the monitor's wake-ups were four in five of the
// process's, and on a keystroke the hand-offs moved the session loop
// between threads. On Linux nbio makes these calls with RawSyscall, which
// does none of it; elsewhere it makes ordinary calls through the same
// RawConn, so the behaviour is the same.
//
// Every call goes through syscall.RawConn: a call that would block parks
// the goroutine in the poller as os and net do, deadlines and Close work as
// there, and the descriptor cannot be closed under a call.
//
// Go's poller wakes for every change of readiness in either direction. A
// terminal or a pty master becomes writable each time the other side reads,
// and a UDP socket each time a datagram it sent is freed: wake-ups for
// nothing. TakeFile and TakeUDP keep such a descriptor out of the poller
// and watch it for room to write only while a write waits (Linux;
// watch_linux.go).
package nbio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// File is a non-blocking file in the poller (see NewFile and TakeFile).
type File struct {
	waiter
	f    *os.File // NewFile's file
	rd   fileRead
	wr   fileWrite
	read func(fd int, p []byte) (int, error) // ReadEach's read(2); tests count the calls
}

// waiter is where a descriptor's calls wait: NewFile's and NewUDP's in Go's
// poller, through rc; a taken one's (TakeFile, TakeUDP; Linux) through the
// epoll instances of its watch.
type waiter struct {
	name string
	rc   syscall.RawConn
	w    *watch
}

// The operations below keep a call's arguments and results with the
// descriptor, and the function the poller runs is bound once: a function
// handed to RawConn.Read or Write escapes, so a closure made per call would
// cost heap allocations on every keystroke's path at both ends. Each has a
// mutex, as a descriptor may be read and written by several goroutines.

// fileRead is File.Read's call.
type fileRead struct {
	mu    sync.Mutex
	run   func(fd uintptr) bool
	p     []byte
	n     int
	errno error
}

// step reads once, at once again after EINTR; it reports false (wait in
// the poller and call again) on EAGAIN.
func (o *fileRead) step(fd uintptr) bool {
	for {
		o.n, o.errno = read(int(fd), o.p)
		if o.errno != unix.EINTR {
			return o.errno != unix.EAGAIN
		}
	}
}

// fileWrite is File.Write's call: it writes until all of p is written.
type fileWrite struct {
	mu    sync.Mutex
	run   func(fd uintptr) bool
	p     []byte
	n     int
	errno error
}

func (o *fileWrite) step(fd uintptr) bool {
	for o.n < len(o.p) {
		m, e := write(int(fd), o.p[o.n:])
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.EAGAIN:
			return false
		case e != nil:
			o.errno = e
			return true
		case m == 0:
			o.errno = io.ErrShortWrite
			return true
		}
		o.n += m
	}
	return true
}

// NewFile wraps f, which must be in non-blocking mode and owned by the
// poller (os.NewFile of a descriptor with O_NONBLOCK set): a blocking one
// would hold the thread, and with it the P, in a raw read.
func NewFile(f *os.File) (*File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	var flags int
	var ferr error
	if err := rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	if ferr != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), ferr)
	}
	if flags&unix.O_NONBLOCK == 0 {
		return nil, fmt.Errorf("%s: not in non-blocking mode", f.Name())
	}
	file := &File{waiter: waiter{name: f.Name(), rc: rc}, f: f, read: read}
	file.rd.run = file.rd.step
	file.wr.run = file.wr.step
	return file, nil
}

// Read reads once, waiting in the poller until there is something to read.
// It returns io.EOF at end of file, as os.File does.
func (f *File) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	rc, err := f.readConn()
	if err != nil {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: err}
	}
	o := &f.rd
	o.mu.Lock()
	o.p, o.n, o.errno = p, 0, nil
	err = fileErr(rc.Read(o.run))
	if err == nil {
		err = o.errno
	}
	n := o.n
	o.p = nil
	o.mu.Unlock()
	if err != nil {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: err}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// ReadEach reads f until it fails or ends, handing each chunk read to
// deliver on the calling goroutine, and returns what ended it (io.EOF at
// end of file, an error as Read's otherwise).
//
// Why not Read in a loop: a Read after a chunk first tries the descriptor
// and, finding it empty, fails with EAGAIN before waiting: a wasted system
// call per chunk. ReadEach waits at once after a read shorter than buf,
// which emptied the descriptor: what arrives later is a new readiness
// event, which the poller keeps while deliver runs.
//
// Only for a descriptor that never ends, such as a timerfd. Where an end
// is signalled once (the hang-up of a pty or a terminal, a pipe's last
// writer closing), it can come together with the last data, and a wait
// after the short read of that data would never end. Nor where a short
// read can leave data behind (a datagram socket).
//
// deliver runs inside the read: it must not close f (Close waits for the
// read to end) nor wait for anything that waits for ReadEach to return.
// Closing f, or its read deadline passing, from another goroutine ends
// ReadEach once deliver returns.
func (f *File) ReadEach(buf []byte, deliver func([]byte)) error {
	if len(buf) == 0 {
		return io.ErrShortBuffer
	}
	rc, err := f.readConn()
	if err != nil {
		return &os.PathError{Op: "read", Path: f.name, Err: err}
	}
	var errno error
	err = fileErr(rc.Read(func(fd uintptr) bool {
		for {
			n, e := f.read(f.dataFD(fd), buf)
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN:
				return false
			case e != nil:
				errno = e
				return true
			case n == 0:
				errno = io.EOF
				return true
			}
			deliver(buf[:n])
			if n < len(buf) {
				return false // emptied: wait for the next event
			}
		}
	}))
	if err == nil {
		err = errno
	}
	if err == io.EOF {
		return err
	}
	return &os.PathError{Op: "read", Path: f.name, Err: err}
}

// Write writes all of p, waiting in the poller while the descriptor is
// full.
func (f *File) Write(p []byte) (int, error) {
	o := &f.wr
	o.mu.Lock()
	o.p, o.n, o.errno = p, 0, nil
	err := fileErr(f.waitWrite(o.run))
	if err == nil {
		err = o.errno
	}
	n := o.n
	o.p = nil
	o.mu.Unlock()
	if err != nil {
		return n, &os.PathError{Op: "write", Path: f.name, Err: err}
	}
	return n, nil
}

// Close closes the file; calls waiting in the poller return an error.
func (f *File) Close() error {
	if taken, err := f.closeTaken(); taken {
		return err
	}
	return f.f.Close()
}

// SetReadDeadline sets when a waiting Read or ReadEach gives up, as
// os.File's; a past time ends them at once.
func (f *File) SetReadDeadline(t time.Time) error {
	if taken, err := f.setDeadline(t, true, false); taken {
		return err
	}
	return f.f.SetReadDeadline(t)
}

// Control runs fn with the descriptor (for an ioctl), which stays open
// while fn runs. fn must not keep it.
func (f *File) Control(fn func(fd uintptr)) error { return f.control(fn) }

// UDP is a UDP socket (see NewUDP and TakeUDP). It is a net.PacketConn.
type UDP struct {
	waiter
	c     *net.UDPConn // NewUDP's socket
	laddr *net.UDPAddr // TakeUDP's local address
	v6    bool         // the socket is AF_INET6 (IPv4 peers then go as mapped addresses)
	rd    udpRead
	wr    udpWrite
	recv  func(fd int, b *batch) (int, error) // ReadEach's call; tests count them
}

// udpRead is ReadMsg's call. last is the sender of the previous datagram,
// returned again while datagrams come from the same address (almost all
// of them), which saves two allocations per datagram.
type udpRead struct {
	mu      sync.Mutex
	run     func(fd uintptr) bool
	p, oob  []byte
	n, oobn int
	from    *net.UDPAddr
	last    *net.UDPAddr
	errno   error
}

func (o *udpRead) step(fd uintptr) bool {
	for {
		o.n, o.oobn, o.from, o.errno = recvmsg(int(fd), o.p, o.oob, o.last)
		if o.errno != unix.EINTR {
			return o.errno != unix.EAGAIN
		}
	}
}

// udpWrite is WriteTo's call.
type udpWrite struct {
	mu    sync.Mutex
	run   func(fd uintptr) bool
	p     []byte
	to    sockaddr
	n     int
	errno error
}

func (o *udpWrite) step(fd uintptr) bool {
	for {
		o.n, o.errno = sendto(int(fd), o.p, &o.to)
		if o.errno != unix.EINTR {
			return o.errno != unix.EAGAIN
		}
	}
}

// NewUDP wraps c for ReadMsg and WriteTo.
func NewUDP(c *net.UDPConn) (*UDP, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udp socket: %w", err)
	}
	v6, err := isV6(rc)
	if err != nil {
		return nil, err
	}
	u := &UDP{waiter: waiter{name: "udp socket", rc: rc}, c: c, v6: v6, recv: recvBatch}
	u.rd.run = u.rd.step
	u.wr.run = u.wr.step
	return u, nil
}

// isV6 reports whether rc's socket is AF_INET6.
func isV6(rc syscall.RawConn) (bool, error) {
	var sa unix.Sockaddr
	var serr error
	if err := rc.Control(func(fd uintptr) { sa, serr = unix.Getsockname(int(fd)) }); err != nil {
		return false, fmt.Errorf("udp socket: %w", err)
	}
	if serr != nil {
		return false, fmt.Errorf("udp socket: getsockname: %w", serr)
	}
	_, v6 := sa.(*unix.SockaddrInet6)
	return v6, nil
}

// LocalAddr is the socket's address.
func (u *UDP) LocalAddr() net.Addr {
	if u.c != nil {
		return u.c.LocalAddr()
	}
	if u.laddr == nil {
		return nil
	}
	return u.laddr
}

// Close closes the socket; calls waiting in the poller end with
// net.ErrClosed.
func (u *UDP) Close() error {
	if taken, err := u.closeTaken(); taken {
		if err != nil {
			return &net.OpError{Op: "close", Net: "udp", Source: u.LocalAddr(), Err: net.ErrClosed}
		}
		return nil
	}
	return u.c.Close()
}

// SetDeadline sets the read and write deadlines, as net.UDPConn's.
func (u *UDP) SetDeadline(t time.Time) error {
	if taken, err := u.setDeadline(t, true, true); taken {
		return err
	}
	return u.c.SetDeadline(t)
}

// SetReadDeadline sets the read deadline, as net.UDPConn's.
func (u *UDP) SetReadDeadline(t time.Time) error {
	if taken, err := u.setDeadline(t, true, false); taken {
		return err
	}
	return u.c.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline, as net.UDPConn's.
func (u *UDP) SetWriteDeadline(t time.Time) error {
	if taken, err := u.setDeadline(t, false, true); taken {
		return err
	}
	return u.c.SetWriteDeadline(t)
}

// ReadFrom receives one datagram, as net.PacketConn's.
func (u *UDP) ReadFrom(p []byte) (int, net.Addr, error) {
	n, _, from, err := u.ReadMsg(p, nil)
	if err != nil || from == nil {
		return n, nil, err
	}
	return n, from, nil
}

// WriteTo sends p to addr, a *net.UDPAddr, as net.PacketConn's.
func (u *UDP) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: u.LocalAddr(), Addr: addr, Err: syscall.EINVAL}
	}
	return u.WriteToUDP(p, ua)
}

// ReadMsg receives one datagram into p and its control messages into oob,
// as net.UDPConn.ReadMsgUDP, waiting in the poller until one arrives. The
// sender's address is shared with earlier results from the same sender: it
// must not be modified.
func (u *UDP) ReadMsg(p, oob []byte) (n, oobn int, from *net.UDPAddr, err error) {
	rc, err := u.readConn()
	if err != nil {
		return 0, 0, nil, u.readErr(err)
	}
	o := &u.rd
	o.mu.Lock()
	o.p, o.oob, o.errno = p, oob, nil
	err = rc.Read(o.run)
	if err == nil {
		err = o.errno
	}
	n, oobn, from = o.n, o.oobn, o.from
	if err == nil && from != nil {
		o.last = from
	}
	o.p, o.oob, o.from = nil, nil, nil
	o.mu.Unlock()
	if err != nil {
		return 0, 0, nil, u.readErr(err)
	}
	return n, oobn, from, nil
}

// Msg is a datagram UDP.ReadEach read. Data and OOB (its control
// messages) are valid only during the deliver call that has them; From is
// shared with earlier datagrams from the same sender and must not be
// modified.
type Msg struct {
	Data, OOB []byte
	From      *net.UDPAddr
}

// ReadEach receives datagrams until a call fails or deliver returns false,
// handing each to deliver on the calling goroutine, in order. size is the
// room for one datagram (one more than the largest tells an oversize one
// by its length), oobSize the room for its control messages. It returns
// nil when deliver stopped it, otherwise the error that ended it, as
// ReadMsg's.
//
// Why not ReadMsg in a loop: after each datagram, ReadMsg's next call
// first tries the socket and, finding it empty, fails with EAGAIN before
// waiting: a wasted system call per datagram. On Linux ReadEach reads up
// to a few datagrams with one recvmmsg(2), and when it got fewer than it
// asked for the socket was empty, so it waits at once; what arrives later
// is a new readiness event, which the poller keeps while deliver runs.
// Elsewhere it reads one per call, until the socket is empty.
//
// deliver runs inside the read: it must not close the socket (Close waits
// for the read to end) nor wait for anything that waits for ReadEach to
// return.
func (u *UDP) ReadEach(size, oobSize int, deliver func(Msg) bool) error {
	if size <= 0 {
		return io.ErrShortBuffer
	}
	rc, err := u.readConn()
	if err != nil {
		return u.readErr(err)
	}
	b := newBatch(size, oobSize)
	var last *net.UDPAddr
	var errno error
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, e := u.recv(u.dataFD(fd), b)
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN:
				return false
			case e != nil:
				errno = e
				return true
			}
			for i := range n {
				m := b.msg(i, last)
				if m.From != nil {
					last = m.From
				}
				if !deliver(m) {
					return true
				}
			}
			if n < batchLen {
				return false // emptied: wait for the next event
			}
		}
	})
	if err == nil {
		err = errno
	}
	if err != nil {
		return u.readErr(err)
	}
	return nil
}

// readErr words a read's error as net does.
func (u *UDP) readErr(err error) error {
	return &net.OpError{Op: "read", Net: "udp", Source: u.LocalAddr(), Err: wrapSyscall("recvmsg", udpErr(err))}
}

// udpErr words a taken socket's "closed" (the poller's for its epoll
// instance, or the watch's) as net does.
func udpErr(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		return err
	}
	return net.ErrClosed
}

// WriteToUDP sends p to to as one datagram, waiting in the poller while
// the socket's buffer is full.
func (u *UDP) WriteToUDP(p []byte, to *net.UDPAddr) (int, error) {
	o := &u.wr
	o.mu.Lock()
	var ok bool
	if o.to, ok = rawSockaddr(to, u.v6); !ok && u.c != nil {
		o.mu.Unlock()
		// A zone given by name, or a family the socket does not have:
		// the net package resolves the one and words the other.
		return u.c.WriteTo(p, to)
	}
	if !ok && to != nil && to.Zone != "" {
		// A zone by interface name: by number, as net would send it.
		if ifi, err := net.InterfaceByName(to.Zone); err == nil {
			alt := *to
			alt.Zone = strconv.Itoa(ifi.Index)
			o.to, ok = rawSockaddr(&alt, u.v6)
		}
	}
	if !ok {
		o.mu.Unlock()
		return 0, &net.OpError{Op: "write", Net: "udp", Source: u.LocalAddr(), Addr: to, Err: errUnroutable}
	}
	o.p, o.errno = p, nil
	err := u.waitWrite(o.run)
	if err == nil {
		err = o.errno
	}
	n := o.n
	o.p = nil
	o.mu.Unlock()
	if err != nil {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: u.LocalAddr(), Addr: to, Err: wrapSyscall("sendto", udpErr(err))}
	}
	return n, nil
}

// errUnroutable is a taken socket's answer for a destination it cannot
// name itself: another family, or a zone given by interface name (a
// NewUDP's socket leaves both to net).
var errUnroutable = errors.New("address not reachable from this socket")

// fileErr words the poller's error for a file as os.File does: the poller
// returns only its own two (the file is closing; the deadline passed), and
// os reports the first as os.ErrClosed.
func fileErr(err error) error {
	if err == nil {
		return nil // without touching errno below, which escapes: no allocation
	}
	var errno syscall.Errno
	if errors.As(err, &errno) || errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return os.ErrClosed
}

// wrapSyscall names the call of an errno as net does (os.SyscallError),
// and leaves the poller's own errors (closed, deadline) as they are.
func wrapSyscall(call string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return os.NewSyscallError(call, err)
	}
	return err
}

// zoneName names a scope as net does: by interface name, else by number.
// Only link-local peers have one.
func zoneName(id uint32) string {
	if id == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(id), 10)
}

// Control runs fn with the socket's descriptor (for a socket option),
// which stays open while fn runs. fn must not keep it.
func (u *UDP) Control(fn func(fd uintptr)) error { return u.control(fn) }
