package session

import "golang.org/x/sys/unix"

// setUTF8Erase sets IUTF8 on the terminal fd, as mosh-server does for the
// application's pty: the line discipline's erase then removes a whole UTF-8
// character instead of its last byte. macOS has IUTF8 and reads and writes
// termios with TIOCGETA/TIOCSETA.
func setUTF8Erase(fd int) error {
	tio, err := unix.IoctlGetTermios(fd, unix.TIOCGETA)
	if err != nil {
		return err
	}
	tio.Iflag |= unix.IUTF8
	return unix.IoctlSetTermios(fd, unix.TIOCSETA, tio)
}
