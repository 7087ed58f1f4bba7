package session

import (
	"os"

	"golang.org/x/sys/unix"
)

// setPtySize sets the window size of the pty master f. It goes through
// SyscallConn rather than f.Fd(), which would put a non-blocking f back in
// blocking mode.
func setPtySize(f *os.File, w, h int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(w), Row: uint16(h)})
	})
	if err != nil {
		return err
	}
	return ioErr
}
