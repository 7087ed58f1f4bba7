package session

import "os"

// setIUTF8 does nothing: FreeBSD's termios has no IUTF8 flag (mosh-server
// warns that character erase may split UTF-8 sequences there).
func setIUTF8(*os.File) {}
