package session

import "golang.org/x/sys/unix"

// macOS reads and writes termios with TIOCGETA/TIOCSETA and has IUTF8.
const (
	ioctlGetTermios = unix.TIOCGETA
	ioctlSetTermios = unix.TIOCSETA
	iutf8           = unix.IUTF8
)
