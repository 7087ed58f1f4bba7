package session

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
	"github.com/ssh-mosh/ssh-mosh/roam"
)

// inputReader forwards what the user types on out, and can be stopped
// while no key is pressed. Where the terminal can be reopened in
// non-blocking mode (pollableTerminal) it reads that in Go's network poller
// and stops through a read deadline: a keystroke then wakes no thread but
// the one that runs the loop. Elsewhere a read(2) on a terminal can't be
// interrupted, so it waits (waitInput: poll(2), select(2) on macOS) on the
// terminal and a wake-up pipe, and reads only when the terminal has input. out is closed at end of input
// or on error; stop returns once the goroutine has ended.
type inputReader struct {
	out   *roam.Feed
	in    *os.File
	poll  *nbio.File // the pollable terminal, or nil
	wakeR *os.File
	wakeW *os.File
	done  chan struct{}
}

func newInputReader(in *os.File) (*inputReader, error) {
	if f := pollableTerminal(in, unix.O_RDONLY); f != nil {
		if pf, err := nbio.TakeFile(f); err == nil {
			ir := &inputReader{out: roam.NewFeed(4), in: in, poll: pf, done: make(chan struct{})}
			go ir.runPolled()
			return ir, nil
		}
		_ = f.Close()
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("input wake-up pipe: %w", err)
	}
	ir := &inputReader{out: roam.NewFeed(4), in: in, wakeR: r, wakeW: w, done: make(chan struct{})}
	go ir.run()
	return ir, nil
}

// runPolled is run for a pollable terminal: one read(2) per wake-up.
func (ir *inputReader) runPolled() {
	defer close(ir.done)
	defer ir.out.Close()
	buf := make([]byte, 16384)
	for {
		n, err := ir.poll.Read(buf) // no scheduler hand-off per keystroke
		if n > 0 {
			// The loop handles the keys on this goroutine when it is
			// waiting; otherwise they queue, and stop drains the queue
			// while it waits, so this send cannot block it.
			ir.out.Send(buf[:n])
		}
		if err != nil {
			return // stopped (deadline), end of input or a dead terminal
		}
	}
}

func (ir *inputReader) run() {
	defer close(ir.done)
	defer ir.out.Close()
	buf := make([]byte, 16384)
	in, wake := int(ir.in.Fd()), int(ir.wakeR.Fd())
	for {
		ready, woken, err := waitInput(in, wake)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if woken {
			return // stop
		}
		if !ready {
			continue
		}
		n, err := unix.Read(in, buf)
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if n <= 0 || err != nil {
			return // end of input or a dead terminal
		}
		// stop drains out while it waits, so this send cannot block it.
		ir.out.Send(buf[:n])
	}
}

// stop ends the reader and waits for it. Input already read but not yet
// consumed is dropped.
func (ir *inputReader) stop() {
	if ir.poll != nil {
		_ = ir.poll.SetReadDeadline(time.Unix(1, 0))
	} else {
		_, _ = ir.wakeW.Write([]byte{0})
	}
	for {
		select {
		case <-ir.done:
			if ir.poll != nil {
				_ = ir.poll.Close()
			} else {
				ir.wakeR.Close()
				ir.wakeW.Close()
			}
			return
		case <-ir.out.C: // unblock a pending send
		}
	}
}

// waitPoll waits with poll(2) until in is readable (or hung up) or wake is
// written to.
func waitPoll(in, wake int) (ready, woken bool, err error) {
	fds := []unix.PollFd{{Fd: int32(in), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds, -1); err != nil {
		return false, false, err
	}
	return fds[0].Revents != 0, fds[1].Revents != 0, nil
}

// waitSelect is waitPoll with select(2), for systems whose poll does not
// work on terminals.
func waitSelect(in, wake int) (ready, woken bool, err error) {
	var r unix.FdSet
	r.Set(in)
	r.Set(wake)
	if _, err := unix.Select(max(in, wake)+1, &r, nil, nil, nil); err != nil {
		return false, false, err
	}
	return r.IsSet(in), r.IsSet(wake), nil
}
