package session

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// pollableTerminal opens a second open file description of the terminal
// in, in non-blocking mode, so that a read of it waits in Go's network
// poller instead of holding a thread in read(2) or poll(2): the keystroke
// then reaches the loop without a hand-off between threads. A new
// description (not a dup) keeps O_NONBLOCK away from the one the user's
// shell shares with us. It returns nil when that is not possible; the
// caller then reads in as before.
func pollableTerminal(in *os.File) *os.File {
	fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", in.Fd()), unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	var a, b unix.Stat_t
	if unix.Fstat(fd, &a) != nil || unix.Fstat(int(in.Fd()), &b) != nil || a.Rdev != b.Rdev || a.Mode&unix.S_IFMT != unix.S_IFCHR {
		_ = unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), in.Name())
}
