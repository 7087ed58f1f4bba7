package session

// setUTF8Erase would set IUTF8 on the terminal fd, as mosh-server does where
// the flag exists. FreeBSD's termios has no IUTF8 (golang.org/x/sys/unix
// defines none for it, and mosh-server built there warns that erasing a
// multibyte character may not work), so there is nothing to set: cooked-mode
// erase removes one byte, as with every other program on that system.
func setUTF8Erase(int) error { return nil }
