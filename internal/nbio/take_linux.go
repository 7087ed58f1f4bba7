package nbio

import (
	"fmt"
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
// when the emulator had the frame to show, and ssh (poll(2) for reading
// only) pays nothing of the kind. So TakeFile's descriptor stays out of
// Go's poller. Two epoll instances of its own watch it, and they are what
// the poller waits on (an epoll instance is readable while an event it
// watches is ready): one for input, one for room to write, armed for a
// single event only while a write waits.

// watch is TakeFile's descriptor and its epoll instances.
type watch struct {
	fd int

	mu     sync.Mutex // guards what follows, and fd against Close
	closed bool
	in     *os.File // watches fd for input; made at the first read
	inRC   syscall.RawConn
	out    *os.File // watches fd for room, armed by a write that found none
	outRC  syscall.RawConn
	armed  bool // out is armed; guarded by File.wr.mu instead of mu
}

// TakeFile is NewFile for a descriptor that another party drains, such as
// a terminal or a pty master: the process is woken when there is input,
// and for room to write only while a write waits for it, not each time the
// other side reads. It takes f: f is closed, and from then on the File is
// the descriptor's only owner (Close, SetReadDeadline, Control).
func TakeFile(f *os.File) (*File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
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
		// A second descriptor of the same open file, outside the poller;
		// closing f below takes f's out.
		fd, cerr = unix.FcntlInt(raw, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	if cerr != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), cerr)
	}
	name := f.Name()
	_ = f.Close()
	w := &watch{fd: fd}
	file := &File{name: name, w: w, read: read}
	file.rd.run = func(uintptr) bool { return file.rd.step(uintptr(w.fd)) }
	file.wr.run = func(uintptr) bool {
		if file.wr.step(uintptr(w.fd)) {
			return true
		}
		if err := w.arm(); err != nil {
			file.wr.errno = err
			return true
		}
		return false
	}
	return file, nil
}

// epollOn makes an epoll instance in the poller that watches fd for
// events (none: registered, disabled until armed).
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

// input returns the epoll instance readable while fd has input (or hung
// up), making it at the first call.
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

// output returns the epoll instance a write waits on, making it (disarmed)
// at the first call.
func (w *watch) output(name string) (syscall.RawConn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, os.ErrClosed
	}
	if w.out == nil {
		f, rc, err := epollOn(w.fd, unix.EPOLLONESHOT, name)
		if err != nil {
			return nil, err
		}
		w.out, w.outRC = f, rc
	}
	return w.outRC, nil
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

// control runs fn with the descriptor, which stays open meanwhile.
func (w *watch) control(fn func(fd uintptr)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return os.ErrClosed
	}
	fn(uintptr(w.fd))
	return nil
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

// The File methods below go to the watch for a TakeFile's File.

func (f *File) readConn() (syscall.RawConn, error) {
	if f.w == nil {
		return f.rc, nil
	}
	_, rc, err := f.w.input(f.name)
	return rc, err
}

func (f *File) dataFD(fd uintptr) int {
	if f.w == nil {
		return int(fd)
	}
	return f.w.fd
}

// waitWrite runs the write call: a TakeFile's waits on its output epoll
// instance, which is readable when there is room.
func (f *File) waitWrite(run func(uintptr) bool) error {
	if f.w == nil {
		return f.rc.Write(run)
	}
	rc, err := f.w.output(f.name)
	if err != nil {
		return err
	}
	err = rc.Read(run)
	f.w.disarm()
	return err
}

func (f *File) closeFile() error {
	if f.w == nil {
		return f.f.Close()
	}
	return f.w.close()
}

func (f *File) setReadDeadline(t time.Time) error {
	if f.w == nil {
		return f.f.SetReadDeadline(t)
	}
	in, _, err := f.w.input(f.name)
	if err != nil {
		return err
	}
	return in.SetReadDeadline(t)
}

func (f *File) control(fn func(fd uintptr)) error {
	if f.w == nil {
		return f.rc.Control(fn)
	}
	return f.w.control(fn)
}
