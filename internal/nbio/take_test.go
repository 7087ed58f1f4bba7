package nbio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// takePair is a pipe's ends as TakeFile's Files.
func takePair(t *testing.T) (fr, fw *File) {
	t.Helper()
	r, w := pipe(t)
	fr, err := TakeFile(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fr.Close() })
	fw, err = TakeFile(w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fw.Close() })
	return fr, fw
}

// TestTakeFileReadWrite: as TestFileReadWrite, through TakeFile: a write
// larger than the pipe waits for room (its own watch, armed only then)
// while the reader drains it, in order, and the reader sees io.EOF once
// the writer is closed.
func TestTakeFileReadWrite(t *testing.T) {
	fr, fw := takePair(t)
	want := checkReadWrite(t, fr, fw, fw.Close)

	// Writes after one that waited wait for room again and get it, however
	// the reader's draining falls between their tries and the arming.
	fr2, fw2 := takePair(t)
	const rounds = 200
	go func() { _, _ = io.Copy(io.Discard, io.LimitReader(fr2, rounds*int64(len(want)))) }()
	wrote := make(chan error, 1)
	go func() {
		for i := range rounds {
			if n, err := fw2.Write(want); err != nil || n != len(want) {
				wrote <- fmt.Errorf("write %d: %d, %v", i, n, err)
				return
			}
		}
		wrote <- nil
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a write waiting for room was not woken when the reader made some (a lost wake-up)")
	}
}

// TestTakeFileDeadlineControlClose: the File owns the descriptor: its read
// deadline ends a waiting read, Control reaches the descriptor while it is
// open, and Close ends a waiting read and a waiting write.
func TestTakeFileDeadlineControlClose(t *testing.T) {
	fr, _ := takePair(t)
	if err := fr.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if err := fr.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := fr.Control(func(d uintptr) { fd = d }); err != nil || fd == 0 {
		t.Fatalf("Control: fd %d, %v", fd, err)
	}
	endsOnClose(t, func() error { _, err := fr.Read(make([]byte, 8)); return err }, fr.Close, os.ErrClosed)
	if err := fr.Control(func(uintptr) { t.Error("Control ran on a closed File") }); err == nil {
		t.Error("Control on a closed File: no error")
	}

	// Fill the pipe, then a write waits for room until Close.
	_, fw := takePair(t)
	big := make([]byte, 1<<20)
	endsOnClose(t, func() error { _, err := fw.Write(big); return err }, fw.Close, os.ErrClosed)
}

// TestTakeUDP: a taken socket is a net.PacketConn that carries datagrams
// both ways (to an IPv4 peer and, on a dual-stack socket, to a mapped
// one), keeps its address, honours deadlines, and whose Close ends a
// waiting read with net.ErrClosed, as a net.UDPConn's does.
func TestTakeUDP(t *testing.T) {
	a := listenUDP(t, "udp4", "127.0.0.1")
	b := listenUDP(t, "udp", "::")
	aAddr, bPort := a.LocalAddr().(*net.UDPAddr), b.LocalAddr().(*net.UDPAddr).Port
	ua, err := TakeUDP(a)
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	ub, err := TakeUDP(b)
	if err != nil {
		t.Fatal(err)
	}
	defer ub.Close()
	var pc net.PacketConn = ua
	if got := pc.LocalAddr().String(); got != aAddr.String() {
		t.Fatalf("LocalAddr %s, want %s", got, aAddr)
	}
	if _, err := pc.WriteTo([]byte("ping"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: bPort}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, from, err := ub.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("ReadFrom: %q, %v", buf[:n], err)
	}
	if _, err := ub.WriteTo([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	if err := ua.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, _, err := ua.ReadFrom(buf); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("reply: %q, %v", buf[:n], err)
	}
	if err := ua.SetReadDeadline(time.Now().Add(10 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ua.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if err := ua.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	endsOnClose(t, func() error {
		return ub.ReadEach(64, 0, func(Msg) bool { return true })
	}, ub.Close, net.ErrClosed)
	if _, err := ub.WriteTo([]byte("x"), aAddr); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed socket: %v", err)
	}
}
