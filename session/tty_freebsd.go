package session

import "golang.org/x/sys/unix"

// FreeBSD reads and writes termios with TIOCGETA/TIOCSETA. Its termios has
// no IUTF8 (golang.org/x/sys/unix defines none, and mosh-server built there
// warns that erasing a multibyte character may not work), so there is
// nothing to set: cooked-mode erase removes one byte, as with every other
// program on that system.
const (
	ioctlGetTermios = unix.TIOCGETA
	ioctlSetTermios = unix.TIOCSETA
	iutf8           = 0
)
