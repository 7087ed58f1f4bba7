package netem

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// tcpEcho echoes every connection line by line until EOF; closed and joined
// at cleanup.
func tcpEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testenv.Serve(t, ln, func(c net.Conn) { _, _ = io.Copy(c, c) })
	return ln.Addr().String()
}

func newTCPProxy(t *testing.T, target string, c Config) *TCPProxy {
	t.Helper()
	p, err := NewTCPProxy("127.0.0.1:0", target, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestTCPProxyDelay(t *testing.T) {
	checkGoroutines(t)
	const delay = 50 * time.Millisecond
	p := newTCPProxy(t, tcpEcho(t), Config{Delay: delay, Jitter: 10 * time.Millisecond, Seed: 1})
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, line := range []string{"one\n", "two\n", "three\n"} {
		start := time.Now()
		if _, err := io.WriteString(c, line); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := r.ReadString('\n')
		if err != nil || got != line {
			t.Fatalf("echo %q, %v", got, err)
		}
		if rtt := time.Since(start); rtt < 2*(delay-10*time.Millisecond) {
			t.Fatalf("round trip %v shorter than two one-way delays", rtt)
		}
	}
	// Half-close travels through: the echo server sees EOF and closes.
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after CloseWrite: %v", err)
	}
}

func TestTCPProxyOrderUnderJitter(t *testing.T) {
	checkGoroutines(t)
	p := newTCPProxy(t, tcpEcho(t), Config{Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 9})
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := make([]byte, 0, 1<<20)
	for i := range 1 << 20 {
		want = append(want, byte(i*31+i>>8))
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		errc <- err
	}()
	got := make([]byte, len(want))
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("byte %d differs: jitter reordered the stream", i)
		}
	}
}

func TestTCPProxyDropAll(t *testing.T) {
	checkGoroutines(t)
	p := newTCPProxy(t, tcpEcho(t), Config{})
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return p.Conns() == 1 })
	p.DropAll()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("connection survived DropAll")
	}
	waitFor(t, func() bool { return p.Conns() == 0 })

	// The proxy still accepts new connections.
	c2, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	io.WriteString(c2, "again\n")
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := bufio.NewReader(c2).ReadString('\n'); err != nil || got != "again\n" {
		t.Fatalf("after DropAll: %q %v", got, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", p.Addr().String()); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}

func TestTCPProxyUnreachableTarget(t *testing.T) {
	checkGoroutines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p := newTCPProxy(t, dead, Config{})
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read from a proxied connection to nowhere succeeded")
	}
}
