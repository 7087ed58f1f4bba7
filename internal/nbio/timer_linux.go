package nbio

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Timer is a one-shot timer that expires in the poller (a timerfd), for a
// loop that wants no runtime timer of its own. Why: while any runtime
// timer is pending, Go's monitor thread sleeps only until it is due, wakes
// with it, and naps in 20 µs steps while the loop runs: three to six
// wake-ups of a second thread for each of an idle session's heartbeats. A
// timerfd wakes only the thread waiting in the poller.
//
// One goroutine uses a Timer (Reset, Stop, Close); C is read there too.
// A tick may come late after Stop or Reset (the expiry was read just
// before): C then wakes the loop once more than it needed. Setting the
// timer is a system call, made only when the deadline changes.
type Timer struct {
	fd     int
	file   *os.File
	r      *File
	c      chan time.Time
	done   chan struct{}
	closed bool
	armed  time.Time // the deadline set, zero when disarmed
}

// NewTimer makes a stopped Timer. It fails where the system has no
// timerfd, and the caller then uses a time.Timer.
func NewTimer() (*Timer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	r, err := NewFile(f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	t := &Timer{fd: fd, file: f, r: r, c: make(chan time.Time, 1), done: make(chan struct{})}
	go t.run()
	return t, nil
}

// run turns expiries into ticks on c until the timerfd is closed.
func (t *Timer) run() {
	defer close(t.done)
	// A read returns the 8-byte expiry count and resets it: with room for
	// more, every read is short, and ReadEach waits for the next expiry
	// without first reading again.
	var n [16]byte
	_ = t.r.ReadEach(n[:], func([]byte) {
		select {
		case t.c <- time.Time{}:
		default: // a tick is already waiting
		}
	})
}

// C delivers a tick when the timer expires (the value is the zero Time).
func (t *Timer) C() <-chan time.Time { return t.c }

// Reset arms the timer to expire at at; now is the caller's reading of the
// clock (time.Now's monotonic clock is the timerfd's). A loop re-arms its
// timer on every wake-up, mostly for the deadline it already has: that
// costs nothing here, and a tick of that deadline still waiting in C is
// due. For another deadline a waiting tick is dropped.
func (t *Timer) Reset(at, now time.Time) {
	if !t.armed.IsZero() && at.Equal(t.armed) && at.After(now) {
		return
	}
	t.drain()
	t.armed = at
	t.set(max(at.Sub(now), time.Nanosecond)) // a zero it_value would disarm
}

// Stop disarms the timer and drops a tick not yet received.
func (t *Timer) Stop() {
	if !t.armed.IsZero() {
		t.armed = time.Time{}
		t.set(0)
	}
	t.drain()
}

func (t *Timer) drain() {
	select {
	case <-t.c:
	default:
	}
}

// Close stops the timer and ends its goroutine.
func (t *Timer) Close() {
	if t.closed {
		return
	}
	t.closed = true
	_ = t.file.Close()
	<-t.done
}

func (t *Timer) set(d time.Duration) {
	if t.closed {
		return
	}
	its := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	// Raw, as the reads: timerfd_settime cannot block.
	_, _, e := syscall.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(t.fd), 0, uintptr(unsafe.Pointer(&its)), 0, 0, 0)
	if e != 0 {
		// Only a bad descriptor or value can fail; neither happens while
		// the Timer is open. Tick, so the loop is never left asleep.
		select {
		case t.c <- time.Time{}:
		default:
		}
	}
}
