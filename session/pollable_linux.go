package session

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// pollableTerminal opens a second open file description of the terminal
// f, in non-blocking mode, for mode (unix.O_RDONLY or unix.O_WRONLY), so
// that a read or write waits in Go's network poller instead of holding a
// thread: a keystroke reaches the loop, and a frame the terminal, without
// a hand-off between threads. A new description (not a dup) keeps
// O_NONBLOCK away from the one the user's shell shares with us. It returns
// nil when that is not possible; the caller then uses f as before.
func pollableTerminal(f *os.File, mode int) *os.File {
	fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), mode|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	var a, b unix.Stat_t
	if unix.Fstat(fd, &a) != nil || unix.Fstat(int(f.Fd()), &b) != nil || a.Rdev != b.Rdev || a.Mode&unix.S_IFMT != unix.S_IFCHR {
		_ = unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), f.Name())
}
