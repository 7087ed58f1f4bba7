package nbio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// readEach runs fr.ReadEach on a goroutine, passing each chunk on chunks
// (copied, as the buffer is reused) and the error that ended it on done.
func readEach(fr *File, bufSize int, deliver func([]byte)) (chunks chan []byte, done chan error) {
	chunks, done = make(chan []byte, 64), make(chan error, 1)
	go func() {
		done <- fr.ReadEach(make([]byte, bufSize), func(b []byte) {
			chunks <- bytes.Clone(b)
			if deliver != nil {
				deliver(b)
			}
		})
	}()
	return chunks, done
}

func awaitChunk(t *testing.T, chunks chan []byte, want string) {
	t.Helper()
	select {
	case got := <-chunks:
		if string(got) != want {
			t.Fatalf("chunk %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("chunk %q never delivered", want)
	}
}

func awaitEnd(t *testing.T, done chan error, want error) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, want) {
			t.Fatalf("ReadEach ended with %v, want %v", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("ReadEach did not end (want %v)", want)
	}
}

// TestReadEachWaitsAfterShortRead: each short chunk costs one read(2), not
// a second one failing with EAGAIN; a chunk as long as the buffer is
// followed by a read at once, as more may be waiting; nothing is lost or
// reordered; and the end of file ends it.
func TestReadEachWaitsAfterShortRead(t *testing.T) {
	fr, _, _, w := filePair(t)
	var calls, eagain int
	fr.read = func(fd int, p []byte) (int, error) {
		calls++
		n, err := read(fd, p)
		if err != nil && errors.Is(err, unix.EAGAIN) {
			eagain++
		}
		return n, err
	}
	chunks, done := readEach(fr, 8, nil)
	for _, k := range []string{"a", "bc", "def"} {
		if _, err := w.Write([]byte(k)); err != nil {
			t.Fatal(err)
		}
		awaitChunk(t, chunks, k)
	}
	// 12 bytes at once: a full buffer, then the rest.
	if _, err := w.Write([]byte("0123456789ab")); err != nil {
		t.Fatal(err)
	}
	awaitChunk(t, chunks, "01234567")
	awaitChunk(t, chunks, "89ab")
	w.Close()
	awaitEnd(t, done, io.EOF)
	// One read per chunk (3 short, 1 full, 1 short) and one for the end
	// of file. ReadEach's first read may find the pipe still empty.
	if calls-eagain != 6 || eagain > 1 {
		t.Errorf("%d reads, %d of them EAGAIN; want 6 that read and at most one EAGAIN (before the first write)", calls, eagain)
	}
}

// TestReadEachKeepsEventsDuringDeliver: what arrives while deliver runs,
// after the read that emptied the descriptor, is read next: the poller
// keeps the event even though no one was waiting for it.
func TestReadEachKeepsEventsDuringDeliver(t *testing.T) {
	fr, _, _, w := filePair(t)
	next := []string{"two", "three"}
	chunks, done := readEach(fr, 64, func([]byte) {
		if len(next) > 0 {
			if _, err := w.Write([]byte(next[0])); err != nil {
				t.Error(err)
			}
			next = next[1:]
		}
	})
	if _, err := w.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"one", "two", "three"} {
		awaitChunk(t, chunks, k)
	}
	w.Close()
	awaitEnd(t, done, io.EOF)
}

// TestReadEachEnds: a read deadline, and a Close from another goroutine,
// end a ReadEach that is waiting, with the poller's errors.
func TestReadEachEnds(t *testing.T) {
	fr, _, r, _ := filePair(t)
	if err := r.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, done := readEach(fr, 8, nil)
	awaitEnd(t, done, os.ErrDeadlineExceeded)
	if err := r.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	endsOnClose(t, func() error { return fr.ReadEach(make([]byte, 8), func([]byte) {}) }, r.Close, os.ErrClosed)
}

// udpReadEach runs ub.ReadEach on a goroutine, passing copies of what it
// delivers on msgs; it stops after stopAfter datagrams (0: never).
func udpReadEach(ub *UDP, stopAfter int, deliver func(Msg)) (msgs chan Msg, done chan error) {
	msgs, done = make(chan Msg, 64), make(chan error, 1)
	go func() {
		n := 0
		done <- ub.ReadEach(2048, 64, func(m Msg) bool {
			msgs <- Msg{Data: bytes.Clone(m.Data), OOB: bytes.Clone(m.OOB), From: m.From}
			if deliver != nil {
				deliver(m)
			}
			n++
			return stopAfter == 0 || n < stopAfter
		})
	}()
	return msgs, done
}

func awaitMsg(t *testing.T, msgs chan Msg, want string, from *net.UDPAddr) {
	t.Helper()
	select {
	case m := <-msgs:
		if string(m.Data) != want || m.From == nil || m.From.Port != from.Port || !m.From.IP.Equal(from.IP) {
			t.Fatalf("datagram %q from %v, want %q from %v", m.Data, m.From, want, from)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("datagram %q never delivered", want)
	}
}

// countRecv counts ub's receive calls, and those that found nothing.
func countRecv(ub *UDP) (calls, eagain *int) {
	calls, eagain = new(int), new(int)
	ub.recv = func(fd int, b *batch) (int, error) {
		*calls++
		n, err := recvBatch(fd, b)
		if errors.Is(err, unix.EAGAIN) {
			*eagain++
		}
		return n, err
	}
	return calls, eagain
}

// TestUDPReadEachBatches: datagrams already queued come in order, several
// per call where the system can (batchLen), and deliver's false ends it
// with no error.
func TestUDPReadEachBatches(t *testing.T) {
	a, b, ua, ub := udpPair(t, "udp4", "127.0.0.1", "udp4", "127.0.0.1")
	to, from := b.LocalAddr().(*net.UDPAddr), a.LocalAddr().(*net.UDPAddr)
	const n = 10
	for i := range n {
		if _, err := ua.WriteTo([]byte{byte('a' + i)}, to); err != nil {
			t.Fatal(err)
		}
	}
	calls, _ := countRecv(ub)
	msgs, done := udpReadEach(ub, n, nil)
	for i := range n {
		awaitMsg(t, msgs, string(rune('a'+i)), from)
	}
	awaitEnd(t, done, nil)
	if want := (n + batchLen - 1) / batchLen; *calls != want {
		t.Errorf("%d receive calls for %d queued datagrams, want %d", *calls, n, want)
	}
}

// TestUDPReadEachWaitsAfterShortBatch: a datagram at a time costs one
// receive call each where batches are read (Linux), not a second one that
// finds the socket empty; and what arrives while deliver runs is read
// next.
func TestUDPReadEachWaitsAfterShortBatch(t *testing.T) {
	a, b, ua, ub := udpPair(t, "udp4", "127.0.0.1", "udp4", "127.0.0.1")
	to, from := b.LocalAddr().(*net.UDPAddr), a.LocalAddr().(*net.UDPAddr)
	calls, eagain := countRecv(ub)
	const n = 5
	sentInDeliver := false
	msgs, done := udpReadEach(ub, n+1, func(m Msg) {
		if string(m.Data) == "4" && !sentInDeliver {
			sentInDeliver = true
			if _, err := ua.WriteTo([]byte("during"), to); err != nil {
				t.Error(err)
			}
		}
	})
	for i := range n {
		if _, err := ua.WriteTo([]byte{byte('0' + i)}, to); err != nil {
			t.Fatal(err)
		}
		awaitMsg(t, msgs, string(rune('0'+i)), from)
	}
	awaitMsg(t, msgs, "during", from)
	awaitEnd(t, done, nil)
	if batchLen > 1 && (*calls-*eagain != n+1 || *eagain > 1) {
		t.Errorf("%d receive calls, %d of them empty; want %d that read and at most one empty (before the first datagram)",
			*calls, *eagain, n+1)
	}
}

// TestUDPReadEachEndsOnClose: closing the socket ends a ReadEach waiting
// in the poller with net.ErrClosed.
func TestUDPReadEachEndsOnClose(t *testing.T) {
	_, b, _, ub := udpPair(t, "udp4", "127.0.0.1", "udp4", "127.0.0.1")
	endsOnClose(t, func() error { return ub.ReadEach(2048, 64, func(Msg) bool { return true }) }, b.Close, net.ErrClosed)
}
