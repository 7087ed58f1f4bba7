package main

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestClientExitLikeMosh ends sessions badly and checks that our client
// says and returns exactly what the real mosh-client 1.4 does in the same
// terminal: the messages left on the screen (port numbers aside) and the
// exit status.
//
//   - never-connected: the server's port answers nothing; Ctrl-^ . starts a
//     shutdown nobody acknowledges.
//   - unclean: the session runs, then the network goes dark; Ctrl-^ . times
//     out waiting for the server's acknowledgement.
//   - clean: the session runs and Ctrl-^ . ends it.
func TestClientExitLikeMosh(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	testenv.MustHaveExec(t, "mosh-client")
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (port int, key string, connected func(*clientPane), cut func())
	}{
		{"never-connected", silentServer},
		{"unclean", darkenedServer},
		{"clean", func(t *testing.T) (int, string, func(*clientPane), func()) {
			port, key, typed, _ := darkenedServer(t)
			return port, key, typed, func() {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var screens [2]string
			var codes [2]int
			for i, real := range []bool{true, false} {
				port, key, connected, cut := tc.setup(t)
				argv := ourClients[0].argv(t, port)
				if real {
					argv, _ = testenv.MoshClientArgv(t, key, port)
				}
				s := startClient(t, testenv.TmuxOptions{}, argv, "MOSH_KEY="+key)
				connected(s)
				cut()
				// No waiting for the help bar: while connecting, mosh
				// replaces it with the connecting notice at once.
				s.SendHex(0x1e)
				s.SendText(".")
				codes[i] = s.WaitExit(waitLong)
				screens[i] = strings.ReplaceAll(strings.TrimRight(trimRows(s.Capture()), "\n"), strconv.Itoa(port), "PORT")
				s.sttyUnchanged()
			}
			if codes[0] != codes[1] || screens[0] != screens[1] {
				t.Errorf("real mosh-client ended with status %d and left:\n%s\nours ended with status %d and left:\n%s",
					codes[0], testenv.FrameScreen(screens[0]), codes[1], testenv.FrameScreen(screens[1]))
			}
			if (codes[1] == 0) != (tc.name == "clean") || !strings.Contains(screens[1], "[mosh is exiting.]") {
				t.Errorf("ours: status %d, screen:\n%s", codes[1], testenv.FrameScreen(screens[1]))
			}
		})
	}
}

// silentServer is a UDP port that is bound (so no ICMP error comes back)
// but never answers.
func silentServer(t *testing.T) (int, string, func(*clientPane), func()) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	waitNotice := func(s *clientPane) {
		s.WaitFor("mosh: Nothing received from server on UDP port", waitLong)
	}
	return c.LocalAddr().(*net.UDPAddr).Port, "AAAAAAAAAAAAAAAAAAAAAA", waitNotice, func() {}
}

// darkenedServer is the real mosh-server behind a netem proxy that the cut
// function blacks out for good.
func darkenedServer(t *testing.T) (int, string, func(*clientPane), func()) {
	srv := startServer(t, serverKinds[0])
	proxy, err := netem.NewUDPProxy("127.0.0.1:0", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Port}, netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	// The shell clears the screen so that both clients leave the same
	// text behind (only the session's own output differs otherwise).
	// Typing waits for the prompt: keys typed before the client has put
	// the terminal in raw mode are echoed by the terminal itself, on the
	// normal screen.
	typed := func(s *clientPane) {
		s.WaitFor("$", waitLong)
		s.run("clear; echo up-$((1+1))", "up-2")
	}
	return proxy.Addr().Port, srv.Key, typed, func() { proxy.Blackout(true) }
}
