package session

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	mterm "github.com/ssh-mosh/ssh-mosh/term"
)

// The client's rules: our client loop (newClient, run) against our server
// (serve, on a fake program) over netem's in-memory pipe, on synctest's
// fake clock. The terminal is /dev/null (80×24) and a buffer.

// screenOut is the user's terminal: an emulator fed what the client
// writes (the client draws diffs, so only the screen tells what shows).
type screenOut struct {
	mu  sync.Mutex
	emu *mterm.Emulator
}

func (s *screenOut) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.Write(b)
}

// has reports whether a row of the screen shows text now.
func (s *screenOut) has(text string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fb := s.emu.Framebuffer()
	for y := range fb.Height() {
		var b bytes.Buffer
		for x := range fb.Width() {
			b.WriteString(fb.Cell(y, x).Contents())
		}
		if strings.Contains(b.String(), text) {
			return true
		}
	}
	return false
}

// clientRig is a memPair with our client loop on the client's path.
type clientRig struct {
	*memPair
	stdin  *roam.Feed
	sigs   chan os.Signal
	out    *screenOut
	result chan ClientResult
	errs   chan error
}

// newClientRig runs a client with cfg (Path, Key, In, Out are set here)
// against our server; with serverMuted nothing the server sends arrives.
// The terminal's size is what size says (80×24 if nil).
func newClientRig(t *testing.T, cfg ClientConfig, serverMuted bool, size ...func() (int, int, error)) *clientRig {
	t.Helper()
	return newClientRigServer(t, cfg, ServerConfig{}, serverMuted, size...)
}

// newClientRigServer is newClientRig with the server's configuration
// given (its Path, Key and size are set here).
func newClientRigServer(t *testing.T, cfg ClientConfig, scfg ServerConfig, serverMuted bool, size ...func() (int, int, error)) *clientRig {
	t.Helper()
	r := &clientRig{memPair: newMemPair(t, scfg, serverMuted, false), stdin: roam.NewFeed(0),
		sigs: make(chan os.Signal, 1), out: &screenOut{emu: mterm.NewEmulator(80, 24)},
		result: make(chan ClientResult, 1), errs: make(chan error, 1)}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	r.closers = append(r.closers, null.Close)
	cfg.Path, cfg.Key, cfg.In, cfg.Out = r.cliPath, r.key, null, r.out
	if cfg.Port == 0 {
		cfg.Port = 60001
	}
	c, err := newClient(cfg, mterm.Display{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(size) > 0 {
		c.termSize = size[0]
	}
	go func() {
		res, err := c.run(r.ctx, r.stdin, r.sigs, func() {}, func() error { return nil }, clock{now: time.Now})
		r.result <- res
		r.errs <- err
	}()
	return r
}

// wait returns the client's result.
func (r *clientRig) wait() ClientResult {
	r.t.Helper()
	res := <-r.result
	if err := <-r.errs; err != nil {
		r.t.Errorf("client: %v", err)
	}
	return res
}

func (r *clientRig) connect() {
	r.t.Helper()
	waitFor(r.t, "the program's start", 5*time.Second, func() bool {
		r.prog.mu.Lock()
		defer r.prog.mu.Unlock()
		return r.prog.started
	})
	time.Sleep(time.Second) // the server's first state reaches the client
	synctest.Wait()
}

func TestClientRuleEscapeKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newClientRig(t, ClientConfig{Escape: ParseEscapeKey("", false)}, false)
		defer r.close()
		r.connect()
		// Ctrl-^ ^ sends the escape key itself; Ctrl-^ . quits with the
		// shutdown handshake. Neither escape sequence reaches the program.
		r.stdin.Send([]byte("a\x1e^b"))
		r.stdin.Send([]byte("\x1e"))
		synctest.Wait()
		if !r.out.has("Commands: Ctrl-Z suspends") {
			t.Error("no help in the bar after the escape key")
		}
		r.stdin.Send([]byte("."))
		res := r.wait()
		if !res.Connected || !res.Clean {
			t.Errorf("result %+v, want a connected session and a clean shutdown", res)
		}
		if !r.out.has("Exiting on user request...") {
			t.Error("no exit notice")
		}
		if got := string(r.prog.typed()); got != "a\x1eb" {
			t.Errorf("the program got %q, want %q", got, "a\x1eb")
		}
	})
}

func TestClientRuleConnectingNoticeAndTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newClientRig(t, ClientConfig{}, true)
		defer r.close()
		const notice = "Nothing received from server on UDP port 60001."
		time.Sleep(connectingNoticeAfter - 10*time.Millisecond)
		synctest.Wait()
		if r.out.has(notice) {
			t.Errorf("the notice showed before %v", connectingNoticeAfter)
		}
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		if !r.out.has(notice) {
			t.Errorf("no notice just after %v", connectingNoticeAfter)
		}
		// mosh-client's 15 s: then it tries to shut down, and gives up.
		res := r.wait()
		if res.Connected || res.Clean {
			t.Errorf("result %+v, want neither connected nor clean", res)
		}
		if !r.out.has("Timed out waiting for server...") {
			t.Error("no timeout notice")
		}
		if d := time.Since(r.start); d < connectTimeout || d > connectTimeout+30*time.Second {
			t.Errorf("gave up after %v, want after %v plus the shutdown attempts", d, connectTimeout)
		}
	})
}

func TestClientRuleHandoverGivesUpAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		connected := false
		r := newClientRig(t, ClientConfig{GiveUpAfter: 2 * time.Second, OnConnect: func() { connected = true }}, true)
		defer r.close()
		res := r.wait()
		if d := time.Since(r.start); d != 2*time.Second {
			t.Errorf("gave up after %v, want exactly 2s", d)
		}
		if res.Connected || connected {
			t.Errorf("result %+v, OnConnect called %v: want neither", res, connected)
		}
	})
}

func TestClientRuleOnConnectOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		r := newClientRig(t, ClientConfig{Escape: ParseEscapeKey("", false), GiveUpAfter: 2 * time.Second,
			OnConnect: func() { calls++ }}, false)
		defer r.close()
		r.connect()
		time.Sleep(5 * time.Second) // past GiveUpAfter: connected, it must not give up
		synctest.Wait()
		r.stdin.Send([]byte("\x1e."))
		res := r.wait()
		if !res.Connected || !res.Clean || calls != 1 {
			t.Errorf("result %+v, OnConnect called %d times: want connected, clean, once", res, calls)
		}
		if strings.Contains(string(r.prog.typed()), ".") {
			t.Error("the quit sequence reached the program")
		}
	})
}

func TestClientRuleResizeFollowsTheTerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		w, h := 80, 24
		size := func() (int, int, error) {
			mu.Lock()
			defer mu.Unlock()
			return w, h, nil
		}
		r := newClientRig(t, ClientConfig{Escape: ParseEscapeKey("", false)}, false, size)
		defer r.close()
		r.connect()
		mu.Lock()
		w, h = 132, 50
		mu.Unlock()
		r.sigs <- syscall.SIGWINCH
		waitFor(t, "the program's resize", time.Second, func() bool {
			sizes := r.prog.sizeLog()
			return len(sizes) > 0 && sizes[len(sizes)-1] == [2]int{132, 50}
		})
		// A terminal that reports no size changes nothing.
		mu.Lock()
		w, h = 0, 0
		mu.Unlock()
		r.sigs <- syscall.SIGWINCH
		synctest.Wait()
		r.stdin.Send([]byte("\x1e."))
		if res := r.wait(); !res.Clean {
			t.Errorf("result %+v", res)
		}
		if sizes := r.prog.sizeLog(); sizes[len(sizes)-1] != [2]int{132, 50} {
			t.Errorf("sizes %v after a terminal without a size", sizes)
		}
	})
}

// TestClientRuleStatusChangedRedraws: a new status text (a re-dial, forwards
// being re-established) shows in the bar as soon as StatusChanged says so,
// on a session that draws nothing else; without the signal it waits for
// the next frame.
func TestClientRuleStatusChangedRedraws(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		text := ""
		status := func() string {
			mu.Lock()
			defer mu.Unlock()
			return text
		}
		changed := make(chan struct{}, 1)
		r := newClientRig(t, ClientConfig{Escape: ParseEscapeKey("", false), Status: status, StatusChanged: changed}, false)
		defer r.close()
		r.connect()
		mu.Lock()
		text = "Re-establishing forwards..."
		mu.Unlock()
		synctest.Wait()
		if r.out.has("Re-establishing") {
			t.Fatal("the status showed with no frame and no signal: the test proves nothing")
		}
		changed <- struct{}{}
		synctest.Wait()
		if !r.out.has("Re-establishing forwards...") {
			t.Error("the new status did not show after StatusChanged")
		}
		r.stdin.Send([]byte("\x1e."))
		if res := r.wait(); !res.Clean {
			t.Errorf("result %+v", res)
		}
	})
}
