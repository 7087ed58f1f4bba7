package roam_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// impaired is the network of the netem variants: 100 ms each way, 5 % loss.
var impaired = netem.Config{Delay: 100 * time.Millisecond, Loss: 0.05, Seed: 42}

// proxyTo puts a netem UDP proxy in front of target, closed at cleanup.
func proxyTo(t *testing.T, target *net.UDPAddr) *netem.Proxy {
	t.Helper()
	p, err := netem.NewUDPProxy("127.0.0.1:0", target, impaired)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// runPump runs p until it returns or the test ends; the returned channel
// yields its result. The goroutine is stopped and joined at cleanup.
func runPump[L roam.State[L], R roam.State[R]](t *testing.T, p *roam.Pump[L, R], limit time.Duration) <-chan error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	res := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		res <- p.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return res
}

func TestInteropClientWithRealMoshServer(t *testing.T) {
	testClientWithRealServer(t, false)
}

func TestInteropClientWithRealMoshServerImpaired(t *testing.T) {
	testClientWithRealServer(t, true)
}

// testClientWithRealServer: our client transport types into a shell behind
// the real mosh-server, reads the shell's output from the HostBytes, and
// shuts the session down cleanly (the server exits).
func testClientWithRealServer(t *testing.T, viaNetem bool) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-server")
	port := testenv.FreeUDPPort(t)
	srv := testenv.StartMoshServer(t, "", "-p", strconv.Itoa(port), "--", "/bin/sh")
	key, err := wire.ParseKey(srv.Key)
	if err != nil {
		t.Fatal(err)
	}
	target := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Port}
	var proxy *netem.Proxy
	if viaNetem {
		proxy = proxyTo(t, target)
		target = proxy.Addr()
	}
	path, err := roam.DialUDP(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = path.Close() })

	local := &keyState{}
	local.resize(80, 24) // state 1, as mosh-client sends
	tr, err := roam.NewTransport(roam.Client, key, local, &hostLog{}, time.Now(), roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var host strings.Builder
	typed := false
	pump := &roam.Pump[*keyState, *hostLog]{
		Transport: tr,
		Path:      path,
		OnRemote: func(now time.Time) {
			ins, err := wire.ParseHostMessage(tr.RemoteDiff())
			if err != nil {
				t.Errorf("remote diff: %v", err)
				return
			}
			for _, in := range ins {
				if in.Kind == wire.HostBytes {
					host.Write(in.Bytes)
				}
			}
			if !typed {
				// The server is there (and has started the shell).
				typed = true
				if proxy != nil {
					if err := proxy.Rebind(); err != nil {
						t.Errorf("rebind: %v", err)
					}
				}
				tr.Current().keys("echo roam-ok\r")
			}
			// The typed line contains "roam-ok" once; the shell's output
			// is a further one.
			s := host.String()
			if !tr.ShutdownInProgress() && strings.Count(s, "roam-ok") > strings.Count(s, "echo roam-ok") {
				tr.StartShutdown(now)
			}
		},
		Done: func(now time.Time) bool {
			return tr.ShutdownInProgress() && (tr.ShutdownAcknowledged() || tr.ShutdownAckTimedOut(now))
		},
	}
	if err := <-runPump(t, pump, 60*time.Second); err != nil {
		t.Fatalf("pump: %v; host bytes so far %q", err, host.String())
	}
	if !tr.ShutdownAcknowledged() {
		t.Fatalf("mosh-server did not acknowledge the shutdown; host bytes %q", host.String())
	}
	if !testenv.WaitGone(srv.PID, 10*time.Second) {
		t.Fatalf("mosh-server %d still running after the shutdown handshake", srv.PID)
	}
	st := tr.Stats()
	t.Logf("host bytes %q; stats %+v; srtt %v", host.String(), st, tr.SRTT())
	if st.Unauthentic+st.WrongDirection+st.Malformed+st.Protocol != 0 {
		t.Errorf("real server's datagrams dropped: %+v", st)
	}
	if viaNetem {
		t.Logf("proxy %+v", proxy.Stats())
	}
}

func TestInteropServerWithRealMoshClient(t *testing.T) {
	testServerWithRealClient(t, false)
}

func TestInteropServerWithRealMoshClientImpaired(t *testing.T) {
	testServerWithRealClient(t, true)
}

// testServerWithRealClient: the real mosh-client, in tmux, talks to our
// server transport, whose screen shows what was typed; text typed with tmux
// appears on the tmux screen, and Ctrl-^ . ends both cleanly.
func testServerWithRealClient(t *testing.T, viaNetem bool) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-client")
	testenv.MustHaveExec(t, "tmux")
	path, err := roam.ListenUDP("127.0.0.1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = path.Close() })
	key, err := wire.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := roam.NewTransport(roam.Server, key, &screenState{}, &keyState{}, time.Now(), roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var typed []byte
	pump := &roam.Pump[*screenState, *keyState]{
		Transport: tr,
		Path:      path,
		OnRemote: func(time.Time) {
			ins, err := wire.ParseUserMessage(tr.RemoteDiff())
			if err != nil {
				t.Errorf("remote diff: %v", err)
				return
			}
			for _, in := range ins {
				if in.Kind != wire.UserKeystroke {
					continue
				}
				for _, b := range in.Keys {
					if b >= 0x20 && b < 0x7f { // printable only: valid terminal output
						typed = append(typed, b)
					}
				}
			}
			cur := tr.Current()
			cur.line = "got: " + string(typed)
			if n := tr.RemoteNum(); n > cur.echoAck {
				cur.echoAck = n
			}
		},
		Done: func(time.Time) bool {
			return tr.RemoteNum() == ^uint64(0) && tr.CounterpartyShutdownAckSent()
		},
	}
	res := runPump(t, pump, 90*time.Second)

	port := path.Port()
	var proxy *netem.Proxy
	if viaNetem {
		proxy = proxyTo(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		port = proxy.Addr().Port
	}
	argv, env := testenv.MoshClientArgv(t, key.String(), port)
	// No local echo: what shows on the screen came from our server.
	env = append(env, "MOSH_PREDICTION_DISPLAY=never")
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: env}, argv...)

	m.SendText("hello")
	m.WaitFor("got: hello", 30*time.Second)
	if proxy != nil {
		// The client now reaches us from another address: we must follow.
		if err := proxy.Rebind(); err != nil {
			t.Fatal(err)
		}
	}
	m.SendText("-roam")
	m.WaitFor("got: hello-roam", 30*time.Second)

	m.SendHex(0x1e) // Ctrl-^ .
	m.SendText(".")
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("pump: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no shutdown from mosh-client; screen:\n%s", m.Capture())
	}
	if st := m.WaitExit(20 * time.Second); st != 0 {
		t.Fatalf("mosh-client exit status %d; screen:\n%s", st, m.Capture())
	}
	st := tr.Stats()
	t.Logf("stats %+v; srtt %v", st, tr.SRTT())
	if st.Unauthentic+st.WrongDirection+st.Malformed+st.Protocol != 0 {
		t.Errorf("real client's datagrams dropped: %+v", st)
	}
	if viaNetem {
		t.Logf("proxy %+v", proxy.Stats())
	}
}
