package session

import "golang.org/x/sys/unix"

// setUTF8Erase sets IUTF8 on the terminal fd, as mosh-server does for the
// application's pty: the line discipline's erase (backspace in cooked mode,
// e.g. at a password prompt) then removes a whole UTF-8 character instead of
// its last byte. Where the flag does not exist (FreeBSD) it does nothing.
// The termios requests and the flag are per OS (tty_*.go).
func setUTF8Erase(fd int) error {
	if iutf8 == 0 {
		return nil
	}
	tio, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return err
	}
	tio.Iflag |= iutf8
	return unix.IoctlSetTermios(fd, ioctlSetTermios, tio)
}
