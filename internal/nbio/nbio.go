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
package nbio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// File is a non-blocking file in the poller (see NewFile).
type File struct {
	f  *os.File
	rc syscall.RawConn
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
	return &File{f: f, rc: rc}, nil
}

// Read reads once, waiting in the poller until there is something to read.
// It returns io.EOF at end of file, as os.File does.
func (f *File) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := fileErr(call(f.rc.Read, func(fd int) (err error) {
		n, err = read(fd, p)
		return err
	}))
	if err != nil {
		return 0, &os.PathError{Op: "read", Path: f.f.Name(), Err: err}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, waiting in the poller while the descriptor is
// full.
func (f *File) Write(p []byte) (int, error) {
	n, err := writeAll(f.rc, p)
	if err != nil {
		return n, &os.PathError{Op: "write", Path: f.f.Name(), Err: err}
	}
	return n, nil
}

func writeAll(rc syscall.RawConn, p []byte) (int, error) {
	n := 0
	var errno error
	err := fileErr(rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := write(int(fd), p[n:])
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN:
				return false
			case e != nil:
				errno = e
				return true
			case m == 0:
				errno = io.ErrShortWrite
				return true
			}
			n += m
		}
		return true
	}))
	if err == nil {
		err = errno
	}
	return n, err
}

// UDP is a UDP socket (see NewUDP).
type UDP struct {
	c  *net.UDPConn
	rc syscall.RawConn
	v6 bool // the socket is AF_INET6 (IPv4 peers then go as mapped addresses)
}

// NewUDP wraps c for ReadMsg and WriteTo.
func NewUDP(c *net.UDPConn) (*UDP, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udp socket: %w", err)
	}
	var sa unix.Sockaddr
	var serr error
	if err := rc.Control(func(fd uintptr) { sa, serr = unix.Getsockname(int(fd)) }); err != nil {
		return nil, fmt.Errorf("udp socket: %w", err)
	}
	if serr != nil {
		return nil, fmt.Errorf("udp socket: getsockname: %w", serr)
	}
	_, v6 := sa.(*unix.SockaddrInet6)
	return &UDP{c: c, rc: rc, v6: v6}, nil
}

// ReadMsg receives one datagram into p and its control messages into oob,
// as net.UDPConn.ReadMsgUDP, waiting in the poller until one arrives.
func (u *UDP) ReadMsg(p, oob []byte) (n, oobn int, from *net.UDPAddr, err error) {
	err = call(u.rc.Read, func(fd int) (err error) {
		n, oobn, from, err = recvmsg(fd, p, oob)
		return err
	})
	if err != nil {
		return 0, 0, nil, &net.OpError{Op: "read", Net: "udp", Source: u.c.LocalAddr(), Err: wrapSyscall("recvmsg", err)}
	}
	return n, oobn, from, nil
}

// WriteTo sends p to to as one datagram, waiting in the poller while the
// socket's buffer is full.
func (u *UDP) WriteTo(p []byte, to *net.UDPAddr) (int, error) {
	sa, ok := rawSockaddr(to, u.v6)
	if !ok {
		// A zone given by name, or a family the socket does not have:
		// the net package resolves the one and words the other.
		return u.c.WriteTo(p, to)
	}
	var n int
	err := call(u.rc.Write, func(fd int) (err error) {
		n, err = sendto(fd, p, sa)
		return err
	})
	if err != nil {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: u.c.LocalAddr(), Addr: to, Err: wrapSyscall("sendto", err)}
	}
	return n, nil
}

// fileErr words the poller's error for a file as os.File does: the poller
// returns only its own two (the file is closing; the deadline passed), and
// os reports the first as os.ErrClosed.
func fileErr(err error) error {
	var errno syscall.Errno
	if err == nil || errors.As(err, &errno) || errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return os.ErrClosed
}

// call makes one system call through a RawConn's Read or Write (wait): at
// once again after EINTR, after the poller's wait on EAGAIN. It returns the
// poller's error (closed, deadline) or the call's.
func call(wait func(func(fd uintptr) bool) error, do func(fd int) error) error {
	var errno error
	err := wait(func(fd uintptr) bool {
		for {
			errno = do(int(fd))
			if errno != unix.EINTR {
				return errno != unix.EAGAIN
			}
		}
	})
	if err == nil {
		err = errno
	}
	return err
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
