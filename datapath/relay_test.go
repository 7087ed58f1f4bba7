package datapath

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSkipRelayPreamble(t *testing.T) {
	in := "motd from .bashrc\n" + relayMagic + "\x00\x01x"
	r, err := SkipRelayPreamble(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := NewFrameReader(r).Next(); err != nil || string(d) != "x" {
		t.Fatalf("after the preamble: %q, %v", d, err)
	}
	if _, err := SkipRelayPreamble(strings.NewReader("sh: perl: not found\n")); !errors.Is(err, errNoRelayMagic) || !strings.Contains(err.Error(), "perl: not found") {
		t.Fatalf("no greeting: %v", err)
	}
	if _, err := SkipRelayPreamble(bytes.NewReader(make([]byte, maxRelayPreamble+10))); !errors.Is(err, errNoRelayMagic) {
		t.Fatalf("endless preamble: %v", err)
	}
}

func TestRunRelay(t *testing.T) {
	checkGoroutines(t)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- RunRelay(context.Background(), inR, outW, pc.LocalAddr().(*net.UDPAddr), time.Minute)
		_ = outW.Close()
	}()
	r, err := SkipRelayPreamble(outR)
	if err != nil {
		t.Fatal(err)
	}
	frame, _ := AppendFrame(nil, []byte("to server"))
	go func() { _, _ = inW.Write(frame) }()
	buf := make([]byte, 100)
	_ = pc.SetReadDeadline(time.Now().Add(waitBound))
	n, from, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "to server" {
		t.Fatalf("server got %q, %v", buf[:n], err)
	}
	if _, err := pc.WriteTo([]byte("to client"), from); err != nil {
		t.Fatal(err)
	}
	if d, err := NewFrameReader(r).Next(); err != nil || string(d) != "to client" {
		t.Fatalf("client got %q, %v", d, err)
	}
	_ = inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunRelay at EOF: %v", err)
		}
	case <-time.After(waitBound):
		t.Fatal("RunRelay did not end at EOF")
	}
}

func TestRunRelayIdle(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	inR, inW := io.Pipe()
	defer inW.Close() // ends the stdin reader RunRelay leaves behind
	done := make(chan error, 1)
	go func() {
		done <- RunRelay(context.Background(), inR, io.Discard, pc.LocalAddr().(*net.UDPAddr), 50*time.Millisecond)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitBound):
		t.Fatal("an idle relay kept running")
	}
}

// Empty frames (the client's keepalives) keep an otherwise idle relay
// running.
func TestRunRelayKeepAlive(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	inR, inW := io.Pipe()
	defer inW.Close()
	const idle = 500 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- RunRelay(context.Background(), inR, io.Discard, pc.LocalAddr().(*net.UDPAddr), idle) }()
	for range 10 {
		if _, err := inW.Write([]byte{0, 0}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatal("the relay ended although keepalives arrived")
		case <-time.After(idle / 5):
		}
	}
	select {
	case <-done:
	case <-time.After(waitBound):
		t.Fatal("the relay kept running after the keepalives stopped")
	}
}
