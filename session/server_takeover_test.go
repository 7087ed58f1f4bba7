package session

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// control sends one request to the server and waits for its answer.
func control(t *testing.T, ch chan<- ControlRequest, kind ControlKind) ControlReply {
	t.Helper()
	reply := make(chan ControlReply, 1)
	ch <- ControlRequest{Kind: kind, Reply: reply}
	return <-reply
}

// extraClient is a client transport with key on the rig's client path,
// on its own pump (the rig's own pump must have ended).
type extraClient struct {
	ct     *roam.Transport[*userStream, *complete]
	events chan func(time.Time)
	cancel context.CancelFunc
	pumped chan error
}

func newExtraClient(t *testing.T, r *serverRig, key wire.Key) *extraClient {
	t.Helper()
	ct, err := roam.NewTransport(roam.Client, key, newUserStream(), newComplete(80, 24), time.Now(), roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ct.Current().PushResize(80, 24)
	ctx, cancel := context.WithCancel(r.ctx)
	c := &extraClient{ct: ct, events: make(chan func(time.Time)), cancel: cancel, pumped: make(chan error, 1)}
	pump := &roam.Pump[*userStream, *complete]{Transport: ct, Path: r.cliPath, Events: c.events}
	go func() { c.pumped <- pump.Run(ctx) }()
	return c
}

func (c *extraClient) do(f func(now time.Time)) {
	done := make(chan struct{})
	c.events <- func(now time.Time) { f(now); close(done) }
	<-done
}

func (c *extraClient) stop() {
	c.cancel()
	<-c.pumped
}

func (c *extraClient) row0() string {
	var s strings.Builder
	c.do(func(time.Time) {
		fb := c.ct.Remote().Framebuffer()
		for x := range fb.Width() {
			s.WriteString(fb.Cell(0, x).String())
		}
	})
	return strings.TrimRight(s.String(), " ")
}

func TestServerRuleTakeoverSwitchesKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctl := make(chan ControlRequest)
		r := newServerRig(t, ServerConfig{Control: ctl}, false)
		defer r.close()
		r.connect()
		r.prog.print("hello")
		waitFor(t, "output on the client's screen", time.Second, func() bool { return r.row0() == "hello" })
		if info := control(t, ctl, ControlInfo).Info; !info.Attached || info.Width != 80 || info.Height != 24 {
			t.Fatalf("info of a connected session: %+v", info)
		}

		rep := control(t, ctl, ControlTakeover)
		if rep.Err != nil {
			t.Fatal(rep.Err)
		}
		if rep.Key == r.key {
			t.Fatal("takeover kept the old key")
		}
		// The old client is told the session ended for it, and its pump
		// ends (its Done sees the server's shutdown).
		select {
		case err := <-r.pumped:
			r.pumped <- err
		case <-time.After(10 * time.Second):
			t.Fatal("the old client was not shut out")
		}
		// Its last screen says why (its pump ended: the state is ours).
		if got := screenText(r.ct.Remote().Framebuffer()); !strings.Contains(got, "taken over by another client") {
			t.Errorf("the old client's last screen does not say it was taken over:\n%s", got)
		}

		// The old key, even with a fresh sequence space, is refused.
		old := newExtraClient(t, r, r.key)
		old.do(func(time.Time) { old.ct.Current().PushKeys([]byte("old")) })
		time.Sleep(5 * time.Second)
		synctest.Wait()
		// (It may still hear the retired transport's shutdown: that is
		// all the old key gets.)
		old.stop()
		if strings.Contains(string(r.prog.typed()), "old") {
			t.Fatalf("keys on the old key were applied after the takeover (typed %q)", r.prog.typed())
		}

		// The new key gets the whole screen from blank, and its keys
		// reach the same program.
		nc := newExtraClient(t, r, rep.Key)
		waitFor(t, "the old screen on the new client", 5*time.Second, func() bool { return nc.row0() == "hello" })
		nc.do(func(time.Time) { nc.ct.Current().PushKeys([]byte("new")) })
		waitFor(t, "keys of the new client", 5*time.Second, func() bool { return strings.HasSuffix(string(r.prog.typed()), "new") })
		if !control(t, ctl, ControlInfo).Info.Attached {
			t.Error("the new client does not count as attached")
		}
		nc.stop()
		time.Sleep(time.Minute)
		synctest.Wait()
		if control(t, ctl, ControlInfo).Info.Attached {
			t.Error("a client gone a minute still counts as attached")
		}
	})
}

func TestServerRuleControlKillEndsDetachedSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctl := make(chan ControlRequest)
		r := newServerRig(t, ServerConfig{Control: ctl}, false)
		defer r.close()
		r.connect()
		r.cliLoss.Blackout(true) // the client goes away without a word
		time.Sleep(time.Minute)  // the server stops counting it as associated
		synctest.Wait()
		control(t, ctl, ControlKill)
		select {
		case err := <-r.served:
			r.served <- err
			if err != nil {
				t.Errorf("kill ended the session with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("kill did not end the session")
		}
	})
}

func screenText(fb *term.Framebuffer) string {
	var b strings.Builder
	for y := range fb.Height() {
		for x := range fb.Width() {
			b.WriteString(fb.Cell(y, x).String())
		}
		b.WriteString("\n")
	}
	return b.String()
}
