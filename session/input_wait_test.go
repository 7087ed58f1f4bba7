package session

import (
	"os"
	"testing"

	"github.com/creack/pty"
)

// TestWaitInput checks both ways of waiting (poll for Linux and FreeBSD,
// select for macOS) on a pty, as the client's terminal is: input makes the
// terminal ready, a byte on the wake-up pipe wakes the waiter.
func TestWaitInput(t *testing.T) {
	for name, wait := range map[string]func(int, int) (bool, bool, error){"poll": waitPoll, "select": waitSelect} {
		t.Run(name, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer ptmx.Close()
			defer tty.Close()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			// Raw-ish input: a line, so the cooked tty has something to read.
			if _, err := ptmx.Write([]byte("x\n")); err != nil {
				t.Fatal(err)
			}
			ready, woken, err := wait(int(tty.Fd()), int(r.Fd()))
			if err != nil || !ready || woken {
				t.Fatalf("typed input: ready %v woken %v err %v", ready, woken, err)
			}
			buf := make([]byte, 16)
			if _, err := tty.Read(buf); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte{0}); err != nil {
				t.Fatal(err)
			}
			ready, woken, err = wait(int(tty.Fd()), int(r.Fd()))
			if err != nil || ready || !woken {
				t.Fatalf("wake-up: ready %v woken %v err %v", ready, woken, err)
			}
		})
	}
}
