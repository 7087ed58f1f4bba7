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

// pipe returns a non-blocking pipe whose ends are in the poller.
func pipe(t testing.TB) (r, w *os.File) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	r, w = os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func TestFileRefusesBlocking(t *testing.T) {
	r, w, err := os.Pipe() // os.Pipe's ends are non-blocking: make one blocking
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fd, err := unix.Dup(int(w.Fd())) // Fd sets blocking mode
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "blocking")
	defer f.Close()
	if _, err := NewFile(f); err == nil {
		t.Fatal("NewFile took a blocking descriptor")
	}
}

// filePair is pipe's ends as Files.
func filePair(t *testing.T) (fr, fw *File, r, w *os.File) {
	t.Helper()
	r, w = pipe(t)
	fr, err := NewFile(r)
	if err != nil {
		t.Fatal(err)
	}
	fw, err = NewFile(w)
	if err != nil {
		t.Fatal(err)
	}
	return fr, fw, r, w
}

// TestFileReadWrite: a write larger than the pipe's buffer completes by
// waiting in the poller while the reader drains it, in order, and the
// reader sees io.EOF once the writer is closed.
func TestFileReadWrite(t *testing.T) {
	fr, fw, _, w := filePair(t)
	checkReadWrite(t, fr, fw, w.Close)
}

// checkReadWrite writes 1 MiB, beyond a pipe's 64 KiB, to fw while fr
// drains it, then closes the writer with closeW: fr must read it all in
// order, then io.EOF.
func checkReadWrite(t *testing.T, fr, fw *File, closeW func() error) []byte {
	t.Helper()
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	done := make(chan error, 1)
	go func() {
		n, err := fw.Write(want)
		if err == nil && n != len(want) {
			err = io.ErrShortWrite
		}
		_ = closeW()
		done <- err
	}()
	var got bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := fr.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("read %d bytes, not the %d written in order", got.Len(), len(want))
	}
	return want
}

// TestFileReadDeadlineAndClose: a read waiting in the poller ends with the
// poller's errors, as os.File's does.
func TestFileReadDeadlineAndClose(t *testing.T) {
	r, _ := pipe(t)
	fr, err := NewFile(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if err := r.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	endsOnClose(t, func() error { _, err := fr.Read(make([]byte, 8)); return err }, r.Close, os.ErrClosed)
}

// endsOnClose checks that read, waiting in the poller, ends with want once
// closeFn has closed its descriptor.
func endsOnClose(t *testing.T, read func() error, closeFn func() error, want error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- read() }()
	time.Sleep(10 * time.Millisecond) // let it wait (the result is the same if it has not)
	_ = closeFn()
	select {
	case err := <-done:
		if !errors.Is(err, want) {
			t.Fatalf("read on a closed descriptor: %v, want %v", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read waiting in the poller did not end on Close")
	}
}

func listenUDP(t *testing.T, network, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP(network, &net.UDPAddr{IP: net.ParseIP(addr)})
	if err != nil {
		t.Skipf("%s on %s: %v", network, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// udpPair is two sockets and their UDPs.
func udpPair(t *testing.T, aNet, aAddr, bNet, bAddr string) (a, b *net.UDPConn, ua, ub *UDP) {
	t.Helper()
	a, b = listenUDP(t, aNet, aAddr), listenUDP(t, bNet, bAddr)
	var err error
	if ua, err = NewUDP(a); err != nil {
		t.Fatal(err)
	}
	if ub, err = NewUDP(b); err != nil {
		t.Fatal(err)
	}
	return a, b, ua, ub
}

// TestUDPRoundTrip: datagrams between IPv4, IPv6 and dual-stack sockets
// carry their bytes and the sender's address as net reports it, and a
// reply to that address arrives.
func TestUDPRoundTrip(t *testing.T) {
	cases := []struct {
		name           string
		aNet, aAddr    string
		bNet, bAddr    string
		wantFromFamily int // of the address B sees
	}{
		{"v4", "udp4", "127.0.0.1", "udp4", "127.0.0.1", 4},
		{"v6", "udp6", "::1", "udp6", "::1", 6},
		{"v4 to dual-stack", "udp4", "127.0.0.1", "udp", "::", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b, ua, ub := udpPair(t, tc.aNet, tc.aAddr, tc.bNet, tc.bAddr)
			to := &net.UDPAddr{IP: net.ParseIP(tc.aAddr), Port: b.LocalAddr().(*net.UDPAddr).Port}
			if tc.bAddr == "::" {
				to.IP = net.ParseIP("127.0.0.1")
			}
			msg := []byte("hello over nbio")
			if n, err := ua.WriteTo(msg, to); err != nil || n != len(msg) {
				t.Fatalf("WriteTo = %d, %v", n, err)
			}
			buf := make([]byte, 64)
			oob := make([]byte, 64)
			n, _, from, err := ub.ReadMsg(buf, oob)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf[:n], msg) {
				t.Fatalf("got %q", buf[:n])
			}
			if from == nil || from.Port != a.LocalAddr().(*net.UDPAddr).Port {
				t.Fatalf("from %v, want port %d", from, a.LocalAddr().(*net.UDPAddr).Port)
			}
			if fam := 6; from.IP.To4() != nil {
				fam = 4
				if fam != tc.wantFromFamily {
					t.Fatalf("from %v: family %d, want %d", from, fam, tc.wantFromFamily)
				}
			}
			// The reply goes to the address as received (mapped on a
			// dual-stack socket).
			if _, err := ub.WriteTo([]byte("reply"), from); err != nil {
				t.Fatal(err)
			}
			n, _, from2, err := ua.ReadMsg(buf, oob)
			if err != nil || string(buf[:n]) != "reply" {
				t.Fatalf("reply: %q, %v", buf[:n], err)
			}
			if from2.Port != b.LocalAddr().(*net.UDPAddr).Port {
				t.Fatalf("reply from %v", from2)
			}
		})
	}
}

// TestUDPErrors: what net would refuse is refused in net's words, and a
// read on a closed socket reports net.ErrClosed.
func TestUDPErrors(t *testing.T) {
	a := listenUDP(t, "udp4", "127.0.0.1")
	ua, err := NewUDP(a)
	if err != nil {
		t.Fatal(err)
	}
	// An IPv6 peer on an IPv4 socket falls back to net, which refuses it.
	if _, err := ua.WriteTo([]byte("x"), &net.UDPAddr{IP: net.ParseIP("::1"), Port: 9}); err == nil {
		t.Fatal("sent to an IPv6 address from an IPv4 socket")
	}
	// Too big for any datagram: EMSGSIZE, as a caller checks with errors.Is.
	big := make([]byte, 70000)
	if _, err := ua.WriteTo(big, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("oversize datagram: %v", err)
	}
	endsOnClose(t, func() error { _, _, _, err := ua.ReadMsg(make([]byte, 8), nil); return err }, a.Close, net.ErrClosed)
}

// TestCallsDoNotAllocate: reading and writing a descriptor that is ready,
// and a datagram from the sender of the last one, allocate nothing (every
// keystroke makes such calls at both ends).
func TestCallsDoNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	fr, fw, _, _ := filePair(t)
	checkFileAllocs(t, fr, fw)

	a, b, ua, ub := udpPair(t, "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0")
	if from := checkUDPAllocs(t, ua, ub, b.LocalAddr().(*net.UDPAddr)); !from.IP.IsLoopback() || from.Port != a.LocalAddr().(*net.UDPAddr).Port {
		t.Errorf("sender %v, want %v", from, a.LocalAddr())
	}
}

// checkUDPAllocs checks that a datagram from a to b (at to) and its
// receipt, from the sender of the last one, allocate nothing, and returns
// the sender b saw.
func checkUDPAllocs(t *testing.T, a, b *UDP, to *net.UDPAddr) *net.UDPAddr {
	t.Helper()
	buf, oob, dg := make([]byte, 16), make([]byte, 64), []byte("datagram")
	var first *net.UDPAddr
	if allocs := testing.AllocsPerRun(100, func() {
		if _, err := a.WriteToUDP(dg, to); err != nil {
			t.Fatal(err)
		}
		_, _, from, err := b.ReadMsg(buf, oob)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = from
		} else if from != first {
			t.Fatal("a new address for the same sender")
		}
	}); allocs != 0 {
		t.Errorf("UDP send and receive: %v allocations", allocs)
	}
	return first
}

// checkFileAllocs checks that a key written to fw and read from fr
// allocates nothing.
func checkFileAllocs(t *testing.T, fr, fw *File) {
	t.Helper()
	buf, key := make([]byte, 16), []byte("k")
	if a := testing.AllocsPerRun(100, func() {
		if _, err := fw.Write(key); err != nil {
			t.Fatal(err)
		}
		if _, err := fr.Read(buf); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("File write and read: %v allocations", a)
	}
}
