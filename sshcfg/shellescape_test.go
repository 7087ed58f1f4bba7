package sshcfg

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ssh-mosh/ssh-mosh/internal/sshescape"
)

// sizedReader reads from r with buffers of size bytes, as a copier with a
// small buffer would.
type sizedReader struct {
	r    io.Reader
	size int
}

func (s *sizedReader) Read(p []byte) (int, error) {
	n := min(len(p), s.size)
	return s.r.Read(p[:n:n]) // no room past the buffer
}

// TestEscapeReader: what is typed passes in order whatever the size of
// the reads, the terminal's and the caller's: a held "~" released with the
// next byte makes one byte more than was read, which waits for the next
// call when p is full. "~." ends it after the bytes before it; "~?" prints
// the help, "~^Z" suspends.
func TestEscapeReader(t *testing.T) {
	const typed = "ab\r~xy\r~?~\x1acd\r~~e\rf~.\r~.g"
	for _, oneByte := range []bool{false, true} {
		for _, size := range []int{1, 2, 3, 64} {
			var quits, suspends int
			var help strings.Builder
			var r io.Reader = strings.NewReader(typed)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			e := &escapeReader{
				r: r, filter: sshescape.NewFilter('~'), help: &help,
				suspend: func() { suspends++ },
				quit:    func() { quits++ },
			}
			got, err := io.ReadAll(&sizedReader{r: e, size: size})
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if want := "ab\r~xy\rcd\r~e\rf~.\r"; string(got) != want {
				t.Errorf("size %d, one byte %v: read %q, want %q", size, oneByte, got, want)
			}
			if n := strings.Count(help.String(), "Supported escape sequences:"); quits != 1 || suspends != 1 || !e.quitted() || n != 1 {
				t.Errorf("size %d, one byte %v: quits %d, suspends %d, quitted %v, help shown %d times", size, oneByte, quits, suspends, e.quitted(), n)
			}
		}
	}
}
