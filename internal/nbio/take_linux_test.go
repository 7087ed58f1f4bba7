package nbio

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// registrations lists the events every epoll instance of this process
// watches fd for (from /proc/self/fdinfo).
func registrations(t *testing.T, fd uintptr) []uint32 {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var got []uint32
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || link != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.Open(filepath.Join("/proc/self/fdinfo", e.Name()))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(info)
		for sc.Scan() {
			var tfd int
			var events uint32
			if n, _ := fmt.Sscanf(strings.TrimSpace(sc.Text()), "tfd: %d events: %x", &tfd, &events); n == 2 && uintptr(tfd) == fd {
				got = append(got, events)
			}
		}
		info.Close()
	}
	return got
}

func dataFD(t *testing.T, f *File) uintptr {
	t.Helper()
	var fd uintptr
	if err := f.Control(func(d uintptr) { fd = d }); err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestTakeFileWatchesWritingOnlyWhileWaiting: a TakeFile descriptor is
// watched for input by one epoll instance, and for room to write by none
// once writes are done, even a write that had to wait; NewFile's, in Go's
// poller, is watched for both (which is what this avoids: the other side's
// every read woke the process).
func TestTakeFileWatchesWritingOnlyWhileWaiting(t *testing.T) {
	r, w := pipe(t)
	plain, err := NewFile(w)
	if err != nil {
		t.Fatal(err)
	}
	if regs := registrations(t, dataFD(t, plain)); len(regs) != 1 || regs[0]&unix.EPOLLOUT == 0 {
		t.Fatalf("NewFile's descriptor: registrations %x, want Go's poller's, with EPOLLOUT", regs)
	}
	_ = r

	fr, fw := takePair(t)
	big := make([]byte, 1<<20) // beyond the pipe: the write waits for room
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, io.LimitReader(fr, int64(len(big)))); done <- err }()
	if _, err := fw.Write(big); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	in := registrations(t, dataFD(t, fr))
	if len(in) != 1 || in[0]&unix.EPOLLIN == 0 || in[0]&unix.EPOLLOUT != 0 {
		t.Errorf("reader's descriptor: registrations %x, want one, for EPOLLIN only", in)
	}
	out := registrations(t, dataFD(t, fw))
	if len(out) != 1 || out[0]&(unix.EPOLLOUT|unix.EPOLLIN) != 0 {
		t.Errorf("writer's descriptor: registrations %x, want one, disarmed", out)
	}
}

// TestTakeFileCallsDoNotAllocate: as TestCallsDoNotAllocate, through
// TakeFile (the terminal and the pty master take this path).
func TestTakeFileCallsDoNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	fr, fw := takePair(t)
	checkFileAllocs(t, fr, fw)
}

// TestTakeUDPWatchesWritingOnlyWhileWaiting: as for a File: a UDP socket
// in Go's poller is watched for room to send (and woken each time a
// datagram it sent is freed); a taken one only for datagrams.
func TestTakeUDPWatchesWritingOnlyWhileWaiting(t *testing.T) {
	_, _, plain, _ := udpPair(t, "udp4", "127.0.0.1", "udp4", "127.0.0.1")
	var pfd uintptr
	if err := plain.Control(func(d uintptr) { pfd = d }); err != nil {
		t.Fatal(err)
	}
	if regs := registrations(t, pfd); len(regs) != 1 || regs[0]&unix.EPOLLOUT == 0 {
		t.Fatalf("NewUDP's socket: registrations %x, want Go's poller's, with EPOLLOUT", regs)
	}

	ua, ub, to := takeUDPPair(t)
	for range 3 {
		if _, err := ua.WriteToUDP([]byte("d"), to); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := ub.ReadMsg(make([]byte, 8), nil); err != nil {
			t.Fatal(err)
		}
	}
	var afd, bfd uintptr
	_ = ua.Control(func(d uintptr) { afd = d })
	_ = ub.Control(func(d uintptr) { bfd = d })
	if out := registrations(t, afd); len(out) != 1 || out[0]&(unix.EPOLLOUT|unix.EPOLLIN) != 0 {
		t.Errorf("sender: registrations %x, want one, disarmed", out)
	}
	if in := registrations(t, bfd); len(in) != 1 || in[0]&unix.EPOLLIN == 0 || in[0]&unix.EPOLLOUT != 0 {
		t.Errorf("receiver: registrations %x, want one, for EPOLLIN only", in)
	}
}

// TestTakeUDPCallsDoNotAllocate: as TestCallsDoNotAllocate, through
// TakeUDP (the sessions' sockets take this path).
func TestTakeUDPCallsDoNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	ua, ub, to := takeUDPPair(t)
	checkUDPAllocs(t, ua, ub, to)
}

// takeUDPPair is two taken IPv4 sockets on loopback and b's address.
func takeUDPPair(t *testing.T) (a, b *UDP, to *net.UDPAddr) {
	t.Helper()
	ca, cb := listenUDP(t, "udp4", "127.0.0.1"), listenUDP(t, "udp4", "127.0.0.1")
	to = cb.LocalAddr().(*net.UDPAddr)
	var err error
	if a, err = TakeUDP(ca); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = TakeUDP(cb); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b, to
}
