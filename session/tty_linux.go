package session

import "golang.org/x/sys/unix"

// Linux reads and writes termios with TCGETS/TCSETS and has IUTF8.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
	iutf8           = unix.IUTF8
)
