package nbio

import (
	"bufio"
	"fmt"
	"io"
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
	buf, key := make([]byte, 16), []byte("k")
	if a := testing.AllocsPerRun(100, func() {
		if _, err := fw.Write(key); err != nil {
			t.Fatal(err)
		}
		if _, err := fr.Read(buf); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("write and read: %v allocations", a)
	}
}
