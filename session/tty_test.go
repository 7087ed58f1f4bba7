package session

import (
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// TestSetUTF8ErasePty: on a fresh pty with IUTF8 cleared, setUTF8Erase
// sets it and leaves the other input flags as they were.
func TestSetUTF8ErasePty(t *testing.T) {
	if iutf8 == 0 {
		t.Skip("this OS has no IUTF8")
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	fd := int(tty.Fd())
	tio, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	tio.Iflag &^= iutf8
	tio.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, tio); err != nil {
		t.Fatal(err)
	}
	if err := setUTF8Erase(fd); err != nil {
		t.Fatalf("setUTF8Erase: %v", err)
	}
	got, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	if got.Iflag&iutf8 == 0 {
		t.Errorf("IUTF8 not set: iflag %#x", got.Iflag)
	}
	if got.Iflag&^iutf8 != tio.Iflag {
		t.Errorf("other input flags changed: %#x, want %#x", got.Iflag&^iutf8, tio.Iflag)
	}
	if err := setUTF8Erase(-1); err == nil {
		t.Error("setUTF8Erase on a bad fd reported no error")
	}
}
