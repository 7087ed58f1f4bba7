package netem

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer answers each datagram with "<source port>|<payload>" and is
// closed, and its goroutine joined, at cleanup.
func echoServer(t *testing.T) *net.UDPAddr {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			reply := fmt.Appendf(nil, "%d|%s", from.Port, buf[:n])
			_, _ = c.WriteToUDP(reply, from)
		}
	}()
	t.Cleanup(func() { c.Close(); wg.Wait() })
	return c.LocalAddr().(*net.UDPAddr)
}

// newProxy starts a proxy to target, closed at cleanup.
func newProxy(t *testing.T, target *net.UDPAddr, c Config) *Proxy {
	t.Helper()
	p, err := NewUDPProxy("127.0.0.1:0", target, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dialClient opens a client socket connected to the proxy.
func dialClient(t *testing.T, p *Proxy) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", nil, p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// reply reads one echo reply, returning the port the server saw and the
// payload; ok is false after timeout.
func reply(t *testing.T, c *net.UDPConn, timeout time.Duration) (port int, payload string, ok bool) {
	t.Helper()
	buf := make([]byte, 2048)
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(buf)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, "", false
		}
		t.Fatal(err)
	}
	ps, rest, _ := strings.Cut(string(buf[:n]), "|")
	port, err = strconv.Atoi(ps)
	if err != nil {
		t.Fatalf("bad reply %q", buf[:n])
	}
	return port, rest, true
}

func TestProxyForwardsAndRebinds(t *testing.T) {
	checkGoroutines(t)
	p := newProxy(t, echoServer(t), Config{})
	c := dialClient(t, p)
	if _, err := c.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	port1, got, ok := reply(t, c, 5*time.Second)
	if !ok || got != "one" {
		t.Fatalf("reply %q, %v", got, ok)
	}
	if err := p.Rebind(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("two")); err != nil {
		t.Fatal(err)
	}
	port2, got, ok := reply(t, c, 5*time.Second)
	if !ok || got != "two" {
		t.Fatalf("reply after rebind %q, %v", got, ok)
	}
	if port1 == port2 {
		t.Fatalf("target saw port %d before and after Rebind", port1)
	}
	st := p.Stats()
	if st.Up.Received != 2 || st.Up.Forwarded != 2 || st.Down.Forwarded != 2 || st.Up.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := p.Rebind(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Rebind after Close: %v", err)
	}
}

// TestProxyDelayOrdering sends a burst through a delayed link: every reply
// takes at least the two one-way delays and the order is kept.
func TestProxyDelayOrdering(t *testing.T) {
	checkGoroutines(t)
	const delay = 40 * time.Millisecond
	p := newProxy(t, echoServer(t), Config{Delay: delay})
	c := dialClient(t, p)
	start := time.Now()
	const n = 20
	for i := range n {
		if _, err := c.Write([]byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		_, got, ok := reply(t, c, 5*time.Second)
		if !ok {
			t.Fatalf("reply %d missing", i)
		}
		if got != strconv.Itoa(i) {
			t.Fatalf("reply %d is %q: order changed", i, got)
		}
		if i == 0 {
			if rtt := time.Since(start); rtt < 2*delay {
				t.Fatalf("first reply after %v, less than two one-way delays", rtt)
			}
		}
	}
}

func TestProxyBlackout(t *testing.T) {
	checkGoroutines(t)
	p := newProxy(t, echoServer(t), Config{})
	c := dialClient(t, p)
	p.Blackout(true)
	for range 10 {
		if _, err := c.Write([]byte("dark")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return p.Stats().Up.Received == 10 })
	if st := p.Stats(); st.Up.Dropped != 10 || st.Up.Forwarded != 0 {
		t.Fatalf("during blackout %+v", st)
	}
	p.Blackout(false)
	if _, err := c.Write([]byte("light")); err != nil {
		t.Fatal(err)
	}
	// The first datagram after the blackout also makes the first reply.
	if _, got, ok := reply(t, c, 5*time.Second); !ok || got != "light" {
		t.Fatalf("after blackout: %q %v", got, ok)
	}
}

// TestProxyLossRate pushes datagrams through a lossy proxy one at a time
// (so no socket buffer overflows) and checks the counts.
func TestProxyLossRate(t *testing.T) {
	checkGoroutines(t)
	const n = 2000
	p := newProxy(t, echoServer(t), Config{Loss: 0.2, Duplicate: 0.1, Seed: 3})
	c := dialClient(t, p)
	for i := range n {
		if _, err := c.Write([]byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return p.Stats().Up.Received == uint64(i+1) })
	}
	waitFor(t, func() bool {
		st := p.Stats().Up
		return st.Received+st.Duplicated == st.Forwarded+st.Dropped
	})
	st := p.Stats().Up
	within(t, "up dropped", int(st.Dropped), n, 0.2)
	within(t, "up duplicated", int(st.Duplicated), n-int(st.Dropped), 0.1)

	// Same seed, same arrival order: same decisions.
	im := NewImpairer(Config{Loss: 0.2, Duplicate: 0.1, Seed: 3}, streamUp)
	var lost, dup uint64
	for range n {
		switch im.Decide().Copies {
		case 0:
			lost++
		case 2:
			dup++
		}
	}
	if lost != st.Dropped || dup != st.Duplicated {
		t.Fatalf("proxy dropped %d duplicated %d, impairer with the same seed %d and %d", st.Dropped, st.Duplicated, lost, dup)
	}
}

func TestProxyManyClients(t *testing.T) {
	checkGoroutines(t)
	p := newProxy(t, echoServer(t), Config{})
	for i := range 3 {
		c := dialClient(t, p)
		msg := fmt.Sprint("client", i)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, got, ok := reply(t, c, 5*time.Second); !ok || got != msg {
			t.Fatalf("client %d: %q %v", i, got, ok)
		}
	}
}

func TestNewUDPProxyErrors(t *testing.T) {
	target := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	if _, err := NewUDPProxy("127.0.0.1:0", target, Config{Loss: 2}); err == nil {
		t.Error("bad config accepted")
	}
	if _, err := NewUDPProxy("127.0.0.1:0", nil, Config{}); err == nil {
		t.Error("nil target accepted")
	}
	if _, err := NewUDPProxy("not an address", target, Config{}); err == nil {
		t.Error("bad listen address accepted")
	}
}

// waitFor polls cond for up to 5 s (a bound, not a timing assertion).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
