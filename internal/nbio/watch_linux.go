package nbio

import (
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Go's poller registers every descriptor for both directions, edge
// triggered, and is woken by every edge in either. A terminal or a pty
// master signals "writable" each time the other side reads: a terminal
// emulator reading a frame we wrote woke our client once per frame, right
// when the emulator had the frame to show. A UDP socket signals it each
// time a datagram it sent is freed, which on a network card is at the
// transmit completion, after the sender went back to sleep: a wake-up per
// datagram sent, heartbeats included. ssh and mosh (poll(2) and select(2)
// for reading only) pay nothing of the kind.
//
// So a taken descriptor (TakeFile, TakeUDP) stays out of Go's poller. Two
// epoll instances of its own watch it, and they are what the poller waits
// on (an epoll instance is readable while an event it watches is ready):
// one for input, one for room to write, armed for a single event only
// while a write waits.

// watch is a taken descriptor and its epoll instances.
type watch struct {
	fd int

	mu     sync.Mutex // guards what follows, and fd against close
	closed bool
	in     *os.File // watches fd for input; made at the first read
	inRC   syscall.RawConn
	out    *os.File // watches fd for room, armed by a write that found none
	outRC  syscall.RawConn
	armed  bool // out is armed; guarded by the write's mutex instead of mu
}

// take returns a second descriptor of rc's open file, outside the poller,
// after checking that it is non-blocking. The caller then closes the
// original, which takes it out of the poller.
func take(rc syscall.RawConn) (int, error) {
	fd := -1
	var cerr error
	if err := rc.Control(func(raw uintptr) {
		var flags int
		if flags, cerr = unix.FcntlInt(raw, unix.F_GETFL, 0); cerr != nil {
			return
		}
		if flags&unix.O_NONBLOCK == 0 {
			cerr = fmt.Errorf("not in non-blocking mode")
			return
		}
		fd, cerr = unix.FcntlInt(raw, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return fd, cerr
}

// TakeFile is NewFile for a descriptor that another party drains, such as
// a terminal or a pty master: the process is woken when there is input,
// and for room to write only while a write waits for it, not each time the
// other side reads. It takes f: f is closed, and from then on the File is
// the descriptor's only owner (Close, SetReadDeadline, Control).
func TakeFile(f *os.File) (*File, error) {
	file, err := NewFile(f) // checks that f is non-blocking
	if err != nil {
		return nil, err
	}
	fd, err := take(file.rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	_ = f.Close()
	file.f, file.waiter = nil, waiter{name: file.name, w: &watch{fd: fd}}
	file.rd.run = file.bindRead(file.rd.step)
	file.wr.run = file.bindWrite(file.wr.step, &file.wr.errno)
	return file, nil
}

// TakeUDP is NewUDP for a socket that should wake the process only for
// datagrams (and for room to send only while a send waits), not each time
// one it sent is freed. It takes c: c is closed, and the UDP is from then
// on the socket's only owner, as a net.PacketConn.
func TakeUDP(c *net.UDPConn) (*UDP, error) {
	u, err := NewUDP(c)
	if err != nil {
		return nil, err
	}
	fd, err := take(u.rc)
	if err != nil {
		return nil, fmt.Errorf("udp socket: %w", err)
	}
	u.laddr, _ = c.LocalAddr().(*net.UDPAddr)
	_ = c.Close()
	u.c, u.waiter = nil, waiter{name: u.name, w: &watch{fd: fd}}
	u.rd.run = u.bindRead(u.rd.step)
	u.wr.run = u.bindWrite(u.wr.step, &u.wr.errno)
	return u, nil
}

// epollOn makes an epoll instance in the poller that watches fd for
// events (EPOLLONESHOT alone: until armed, only for the error and hang-up
// that epoll always reports, which end a waiting write anyway).
func epollOn(fd int, events uint32, name string) (*os.File, syscall.RawConn, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: epoll_create1: %w", name, err)
	}
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		_ = unix.Close(ep)
		return nil, nil, fmt.Errorf("%s: epoll_ctl: %w", name, err)
	}
	// Non-blocking, so that os.NewFile puts it in the poller.
	if err := unix.SetNonblock(ep, true); err != nil {
		_ = unix.Close(ep)
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	f := os.NewFile(uintptr(ep), name)
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, rc, nil
}

// input returns the epoll instance readable while fd has input (or an
// error, or hung up), making it at the first call.
func (w *watch) input(name string) (*os.File, syscall.RawConn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, nil, os.ErrClosed
	}
	if w.in == nil {
		f, rc, err := epollOn(w.fd, unix.EPOLLIN|unix.EPOLLRDHUP, name)
		if err != nil {
			return nil, nil, err
		}
		w.in, w.inRC = f, rc
	}
	return w.in, w.inRC, nil
}

// output returns the epoll instance a write waits on, making it (not
// armed) at the first call.
func (w *watch) output(name string) (*os.File, syscall.RawConn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, nil, os.ErrClosed
	}
	if w.out == nil {
		f, rc, err := epollOn(w.fd, unix.EPOLLONESHOT, name)
		if err != nil {
			return nil, nil, err
		}
		w.out, w.outRC = f, rc
	}
	return w.out, w.outRC, nil
}

// arm makes out readable at the next room to write (at once if there is
// room now), once.
func (w *watch) arm() error {
	w.armed = true
	return w.ctlOut(unix.EPOLLOUT | unix.EPOLLONESHOT)
}

// disarm stops out watching for room, so that the other side's reads no
// longer wake the process.
func (w *watch) disarm() {
	if w.armed {
		w.armed = false
		_ = w.ctlOut(unix.EPOLLONESHOT)
	}
}

func (w *watch) ctlOut(events uint32) error {
	var err error
	if cerr := w.outRC.Control(func(ep uintptr) {
		ev := unix.EpollEvent{Events: events, Fd: int32(w.fd)}
		err = unix.EpollCtl(int(ep), unix.EPOLL_CTL_MOD, w.fd, &ev)
	}); cerr != nil {
		return cerr
	}
	return err
}

// close closes the epoll instances, which wakes the calls waiting on them
// and waits for those running, then the descriptor.
func (w *watch) close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return os.ErrClosed
	}
	w.closed = true
	in, out := w.in, w.out
	w.mu.Unlock()
	if in != nil {
		_ = in.Close()
	}
	if out != nil {
		_ = out.Close()
	}
	return unix.Close(w.fd)
}

// The waiter methods below go to the watch for a taken descriptor.

func (p *waiter) readConn() (syscall.RawConn, error) {
	if p.w == nil {
		return p.rc, nil
	}
	_, rc, err := p.w.input(p.name)
	return rc, err
}

func (p *waiter) dataFD(fd uintptr) int {
	if p.w == nil {
		return int(fd)
	}
	return p.w.fd
}

// bindRead is a read call's function for the poller: for a taken
// descriptor it reads that, not the epoll instance the poller has.
func (p *waiter) bindRead(step func(uintptr) bool) func(uintptr) bool {
	if p.w == nil {
		return step
	}
	w := p.w
	return func(uintptr) bool { return step(uintptr(w.fd)) }
}

// bindWrite is bindRead for a write call, which for a taken descriptor
// arms the watch for room when it finds none (an error arming it ends the
// call with *errno).
func (p *waiter) bindWrite(step func(uintptr) bool, errno *error) func(uintptr) bool {
	if p.w == nil {
		return step
	}
	w := p.w
	return func(uintptr) bool {
		if step(uintptr(w.fd)) {
			return true
		}
		if err := w.arm(); err != nil {
			*errno = err
			return true
		}
		// Try once more: when room came between the call above and the
		// arming, the arming's own look finds it but wakes nobody if an
		// earlier event of the instance is still queued there (it is never
		// taken out: nothing calls epoll_wait on it). Room that comes after
		// this try goes through the armed instance to the poller.
		return step(uintptr(w.fd))
	}
}

// waitWrite runs the write call run: a taken descriptor's waits on its
// output epoll instance, readable when there is room. The caller holds
// the write's mutex.
func (p *waiter) waitWrite(run func(uintptr) bool) error {
	if p.w == nil {
		return p.rc.Write(run)
	}
	_, rc, err := p.w.output(p.name)
	if err != nil {
		return err
	}
	err = rc.Read(run)
	p.w.disarm()
	return err
}

func (p *waiter) control(fn func(fd uintptr)) error {
	if p.w == nil {
		return p.rc.Control(fn)
	}
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return os.ErrClosed
	}
	fn(uintptr(w.fd))
	return nil
}

// setDeadline sets the read deadline (reads), the write deadline (writes)
// or both of a taken descriptor; false: not taken.
func (p *waiter) setDeadline(t time.Time, reads, writes bool) (bool, error) {
	if p.w == nil {
		return false, nil
	}
	if reads {
		in, _, err := p.w.input(p.name)
		if err != nil {
			return true, err
		}
		if err := in.SetReadDeadline(t); err != nil {
			return true, err
		}
	}
	if writes {
		out, _, err := p.w.output(p.name)
		if err != nil {
			return true, err
		}
		// Writes wait in the output instance's reads.
		if err := out.SetReadDeadline(t); err != nil {
			return true, err
		}
	}
	return true, nil
}

// closeTaken closes a taken descriptor; false: not taken.
func (p *waiter) closeTaken() (bool, error) {
	if p.w == nil {
		return false, nil
	}
	return true, p.w.close()
}
