package session

import (
	"os"

	"golang.org/x/sys/unix"
)

// setIUTF8 lets the line discipline erase whole UTF-8 characters, as
// mosh-server sets it on the program's terminal.
func setIUTF8(tty *os.File) {
	if tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS); err == nil {
		tio.Iflag |= unix.IUTF8
		_ = unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio)
	}
}
