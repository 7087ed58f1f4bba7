package session

import "golang.org/x/sys/unix"

// setUTF8Erase sets IUTF8 on the terminal fd, as mosh-server does for the
// application's pty: the line discipline's erase (backspace in cooked mode,
// e.g. at a password prompt) then removes a whole UTF-8 character instead of
// its last byte. Linux reads and writes termios with TCGETS/TCSETS.
func setUTF8Erase(fd int) error {
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	tio.Iflag |= unix.IUTF8
	return unix.IoctlSetTermios(fd, unix.TCSETS, tio)
}
