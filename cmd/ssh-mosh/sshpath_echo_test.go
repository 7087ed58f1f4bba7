package main

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// keyTimer types into a session pane one key at a time through a tmux
// control client and times each key until it shows.
type keyTimer struct {
	pane  *testenv.Tmux
	ctl   *testenv.TmuxControl
	typed string
}

// keyUntil types one letter and returns how long until the screen shows
// marker+typed (the letter included).
func (p *keyTimer) keyUntil(tb testing.TB, marker string, c byte) time.Duration {
	tb.Helper()
	p.typed += string(c)
	want := marker + p.typed
	start := time.Now()
	if _, err := p.ctl.Command("send-keys -l " + string(c)); err != nil {
		tb.Fatal(err)
	}
	deadline := start.Add(10 * time.Second)
	for {
		screen, err := p.ctl.Capture()
		if err != nil {
			tb.Fatal(err)
		}
		if strings.Contains(screen, want) {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%q never showed:\n%s", want, testenv.FrameScreen(screen))
		}
	}
}

// TestSSHPathLocalEcho: over an SSH path with 200 ms RTT (100 ms each way
// in a netem TCP proxy), typed letters still show at once: a server echo
// cannot come back in less than the round trip, so a letter on screen
// sooner than that was drawn by local echo.
func TestSSHPathLocalEcho(t *testing.T) {
	const oneWay = 100 * time.Millisecond
	for _, srv := range sshPathServers {
		t.Run(srv.name, func(t *testing.T) {
			f := newRemoteFixture(t)
			_, cfg := proxiedTarget(t, f, netem.Config{Delay: oneWay})
			m := startSSHPathPrompt(t, f, cfg, srv.server(t, f), append([]string{"--transport=ssh"}, shellArgs...)...)
			// A few round trips measure the RTT (prediction turns on
			// above 30 ms) and put the prompt below the bar.
			m.SendText("clear; echo; echo warm-$((1+1))\r")
			waitTrimmed(m, "warm-2\n$")
			p := &keyTimer{pane: m, ctl: m.Control()}
			// The first letters of a line wait one round trip while the
			// prediction is confirmed (as in mosh).
			m.SendText("echo ")
			waitTrimmed(m, "$ echo")
			time.Sleep(4 * oneWay) // the server's echo of "echo " confirms the epoch
			p.typed = "echo "
			var early, late []time.Duration
			for _, c := range []byte("abcdefghij") {
				d := p.keyUntil(t, "$ ", c)
				if d < 2*oneWay*3/4 {
					early = append(early, d)
				} else {
					late = append(late, d)
				}
				time.Sleep(2 * oneWay)
			}
			t.Logf("shown before a round trip was possible: %v; later: %v", early, late)
			if len(early) < 7 {
				t.Errorf("only %d of 10 letters showed sooner than the 200 ms round trip (local echo), later: %v", len(early), late)
			}
			m.SendKeys("C-u")
			m.SendText("exit\r")
			if code := m.WaitExit(waitLong); code != 0 {
				t.Fatalf("exit status %d", code)
			}
		})
	}
}

// countingTCPProxy forwards TCP connections to target and counts the bytes
// in both directions.
type countingTCPProxy struct {
	ln     net.Listener
	target string
	bytes  atomic.Uint64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newCountingTCPProxy(tb testing.TB, target string) *countingTCPProxy {
	tb.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &countingTCPProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp4", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			for _, d := range [][2]net.Conn{{c, s}, {s, c}} {
				p.wg.Add(1)
				go func() {
					defer p.wg.Done()
					p.copy(d[1], d[0])
					d[0].Close()
					d[1].Close()
				}()
			}
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *countingTCPProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.bytes.Add(uint64(n))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection: the pair is done
		}
	}
}

// countingUDPProxy forwards datagrams between one client and target and
// counts their bytes.
type countingUDPProxy struct {
	pc    net.PacketConn
	bytes atomic.Uint64
}

func newCountingUDPProxy(tb testing.TB, target *net.UDPAddr) *countingUDPProxy {
	tb.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &countingUDPProxy{pc: pc}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var client net.Addr
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			p.bytes.Add(uint64(n))
			to := net.Addr(target)
			if from.String() == target.String() {
				if client == nil {
					continue
				}
				to = client
			} else {
				client = from
			}
			_, _ = pc.WriteTo(buf[:n], to)
		}
	}()
	tb.Cleanup(func() { pc.Close(); <-done })
	return p
}

// BenchmarkSSHPathVsUDP types the same keys, without local echo, into our
// server over UDP and over the SSH path (both on loopback) and prints
// keystroke-to-screen latency and bytes on the wire per keystroke side by
// side. UDP bytes are datagram payloads; SSH bytes are the TCP stream
// (SSH framing and encryption included), neither with IP headers.
func BenchmarkSSHPathVsUDP(b *testing.B) {
	testenv.Short(b)
	testenv.MustHaveRoot(b)
	for _, tool := range []string{"sshd", "tmux"} {
		testenv.MustHaveExec(b, tool)
	}
	sshMosh := testenv.GoBuild(b, "./cmd/ssh-mosh", "ssh-mosh")
	server := testenv.GoBuild(b, "./cmd/mosh-server", "mosh-server")

	// UDP: our client straight to our server, through a counting proxy.
	srv := testenv.StartMoshServerEnv(b, server, []string{"PS1=$ ", "ENV="}, "--", "/bin/sh")
	up := newCountingUDPProxy(b, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Port})
	udpPane := testenv.StartTmux(b, testenv.TmuxOptions{Env: []string{"MOSH_KEY=" + srv.Key, "MOSH_PREDICTION_DISPLAY=never"}},
		sshMosh, "--connect", "127.0.0.1", fmt.Sprint(up.pc.LocalAddr().(*net.UDPAddr).Port))

	// SSH: ssh-mosh --transport=ssh through a counting TCP proxy.
	dir := b.TempDir()
	key, pub := testenv.NewUserKey(b, dir, "")
	sshd := testenv.StartSSHD(b, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	tp := newCountingTCPProxy(b, sshd.Addr)
	kh := dir + "/known_hosts"
	port := tp.ln.Addr().(*net.TCPAddr).Port
	writeFileTB(b, kh, fmt.Sprintf("[127.0.0.1]:%d %s\n", port, sshd.HostKeyPub))
	cfg := dir + "/ssh_config"
	writeFileTB(b, cfg, fmt.Sprintf("Host target\n  HostName 127.0.0.1\n  Port %d\n  User root\n  UserKnownHostsFile %s\n"+
		"  GlobalKnownHostsFile /dev/null\n  IdentityFile %s\n  IdentitiesOnly yes\n", port, kh, key))
	sshPane := testenv.StartTmux(b, testenv.TmuxOptions{Env: []string{"SSH_AUTH_SOCK=", "MOSH_PREDICTION_DISPLAY=never"}},
		append([]string{sshMosh, "-F", cfg, "--server=" + server, "--transport=ssh"}, shellArgs...)...)

	type result struct {
		name  string
		lat   []time.Duration
		bytes uint64
	}
	measure := func(name string, pane *testenv.Tmux, counter *atomic.Uint64) result {
		pane.SendText("clear; echo; echo ready-$((6*7))\r")
		pane.WaitForFunc("ready", func(s string) bool { return strings.Contains(trimRows(s), "ready-42\n$") }, waitLong)
		p := &keyTimer{pane: pane, ctl: pane.Control()}
		time.Sleep(200 * time.Millisecond) // let acks settle before counting
		before := counter.Load()
		r := result{name: name}
		for i := range b.N {
			c := byte('a' + i%26)
			if len(p.typed) == 40 {
				_, _ = p.ctl.Command("send-keys C-u")
				p.typed = ""
				pane.WaitForFunc("line cleared", func(s string) bool {
					return strings.Contains(trimRows(s), "\n$\n") || strings.HasSuffix(trimRows(s), "\n$")
				}, waitLong)
			}
			r.lat = append(r.lat, p.keyUntil(b, "$ ", c))
			time.Sleep(30 * time.Millisecond)
		}
		r.bytes = counter.Load() - before
		return r
	}
	b.ResetTimer()
	results := []result{measure("udp", udpPane, &up.bytes), measure("ssh", sshPane, &tp.bytes)}
	b.StopTimer()
	for _, r := range results {
		slices.Sort(r.lat)
		med := r.lat[len(r.lat)/2]
		p90 := r.lat[len(r.lat)*9/10]
		b.ReportMetric(float64(med.Microseconds())/1000, r.name+"-median-ms")
		b.ReportMetric(float64(r.bytes)/float64(b.N), r.name+"-bytes/key")
		b.Logf("%-3s keystroke→screen median %v p90 %v, %.0f bytes/keystroke (%d keys)", r.name, med, p90, float64(r.bytes)/float64(b.N), b.N)
	}
}

func writeFileTB(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}
