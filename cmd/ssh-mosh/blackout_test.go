package main

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// blackoutFor is how long the network between client and server is cut:
// longer than the 6.5 s of silence after which mosh shows its bar.
const blackoutFor = 8 * time.Second

var lastContactRE = regexp.MustCompile(`mosh: Last contact (\d+) seconds ago\. \[To quit: Ctrl-\^ \.\]`)

// TestClientBlackout cuts the network between our client and the server
// for 8 s: the notification bar appears with its countdown; keys typed
// meanwhile reach the shell once traffic returns, the bar goes away, and
// the screen is then exactly what the same keys give on a plain terminal.
func TestClientBlackout(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	for _, srv := range serverKinds {
		t.Run(srv.name+"-server", func(t *testing.T) {
			t.Parallel()
			testClientBlackout(t, srv)
		})
	}
}

func testClientBlackout(t *testing.T, k serverKind) {
	server := startServer(t, k)
	proxy, err := netem.NewUDPProxy("127.0.0.1:0", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: server.Port}, netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	s := startClient(t, testenv.TmuxOptions{}, ourClients[0].argv(t, proxy.Addr().Port), "MOSH_KEY="+server.Key)

	// clear first: the real mosh-server's shell starts below a blank row
	// (the echo of the newline that releases it), which a plain terminal
	// doesn't have.
	lines := []string{"clear; echo before-$((1+1))", "echo during-$((2+2))", "echo after-$((3+3))"}
	s.run(lines[0], "before-2")

	proxy.Blackout(true)
	cut := time.Now()
	screen := s.WaitFor("mosh: Last contact", waitLong)
	m := lastContactRE.FindStringSubmatch(strings.SplitN(screen, "\n", 2)[0])
	if m == nil {
		t.Fatalf("no well-formed notification bar on the first row:\n%s", testenv.FrameScreen(screen))
	}
	if n, _ := strconv.Atoi(m[1]); n < 6 || n > 9 {
		t.Errorf("bar says last contact %d seconds ago, %v after the cut", n, time.Since(cut).Round(time.Millisecond))
	}
	s.SendText(lines[1])
	s.SendKeys("Enter")
	// The outage has a fixed length: nothing to poll for.
	time.Sleep(time.Until(cut.Add(blackoutFor)))
	proxy.Blackout(false)

	s.WaitForFunc("bar gone and the keys typed in the outage run", func(screen string) bool {
		return !strings.Contains(screen, "mosh:") && strings.Contains(screen, "during-4\n")
	}, waitLong)
	got := s.run(lines[2], "after-6\n$")
	gx, gy := s.Cursor()

	ref := testenv.StartTmux(t, testenv.TmuxOptions{Term: "xterm", Env: []string{"PS1=$ ", "ENV="}}, "/bin/sh")
	for i, l := range lines {
		ref.SendText(l)
		ref.SendKeys("Enter")
		waitTrimmed(ref, []string{"before-2\n", "during-4\n", "after-6\n$"}[i])
	}
	want := ref.Capture()
	wx, wy := ref.Cursor()
	if trimRows(got) != trimRows(want) || gx != wx || gy != wy {
		t.Errorf("after the outage, the session shows (cursor %d,%d):\n%s\na plain terminal shows (cursor %d,%d):\n%s",
			gx, gy, testenv.FrameScreen(got), wx, wy, testenv.FrameScreen(want))
	}
	st := proxy.Stats()
	if st.Up.Dropped == 0 || st.Down.Dropped == 0 {
		t.Errorf("the blackout dropped nothing: %+v", st)
	}
	s.quit()
}
