package session

import (
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeRecords keeps what the server told its Records, with the fake time.
type fakeRecords struct {
	mu     sync.Mutex
	prog   *fakeProgram
	events []string
	at     []time.Time
}

func (f *fakeRecords) add(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
	f.at = append(f.at, time.Now())
}

func (f *fakeRecords) Started(pty *os.File) { _ = pty.Close(); f.add("started") }
func (f *fakeRecords) Connected(a net.Addr) { f.add("connected " + a.Network()) }
func (f *fakeRecords) Detached()            { f.add("detached") }
func (f *fakeRecords) Ended() {
	f.prog.mu.Lock()
	hungUp := f.prog.hungUp
	f.prog.mu.Unlock()
	if hungUp {
		f.add("ended after the hang-up")
		return
	}
	f.add("ended")
}

func (f *fakeRecords) get() ([]string, []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...), append([]time.Time(nil), f.at...)
}

// The records hear of the program's start with its client, of 30 s
// without a client state (mosh-server's rule for its utmp entry), of the
// client's return, and of the end before the program is hung up.
func TestServerRuleLoginRecords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &fakeRecords{}
		r := newServerRig(t, ServerConfig{Records: rec}, false)
		rec.prog = r.prog
		r.connect()
		synctest.Wait()
		if ev, _ := rec.get(); !cmp.Equal(ev, []string{"started", "connected memory"}) {
			t.Fatalf("after the first state: %q", ev)
		}
		// Heartbeats keep the client attached.
		time.Sleep(45 * time.Second)
		if ev, _ := rec.get(); len(ev) != 2 {
			t.Fatalf("while the client's heartbeats arrive: %q", ev)
		}
		var lastSent time.Time
		r.do(func(now time.Time) { lastSent = now })
		r.cliLoss.Blackout(true)
		time.Sleep(40 * time.Second)
		ev, at := rec.get()
		if !cmp.Equal(ev, []string{"started", "connected memory", "detached"}) {
			t.Fatalf("after 40 s of silence: %q", ev)
		}
		// The newest state arrived at most a heartbeat before lastSent.
		if d := at[2].Sub(lastSent); d < 26*time.Second || d > 30*time.Second {
			t.Errorf("detached %v after the client's last send, want 30 s after its last state", d)
		}
		r.cliLoss.Blackout(false)
		time.Sleep(5 * time.Second)
		r.close()
		ev, _ = rec.get()
		if want := []string{"started", "connected memory", "detached", "connected memory", "ended"}; !cmp.Equal(ev, want) {
			t.Errorf("records %q, want %q", ev, want)
		}
	})
}

// A client that detaches (its terminal hung up, DetachOnHangup) tells our
// server it leaves before it exits: the session counts as detached at
// once, in a listing and in the login records, not 10 s (a listing) or
// 30 s (the records) later, and it goes on for the next client.
func TestClientRuleDetachTellsServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &fakeRecords{}
		ctl := make(chan ControlRequest)
		r := newClientRigServer(t, ClientConfig{DetachOnHangup: true}, ServerConfig{Records: rec, Control: ctl}, false)
		defer r.close()
		rec.prog = r.prog
		r.connect()
		if !control(t, ctl, ControlInfo).Info.Attached {
			t.Fatal("not attached after the first state")
		}
		hangup := time.Now()
		r.sigs <- syscall.SIGHUP
		res := r.wait()
		if !res.Detached {
			t.Fatalf("result %+v, want detached", res)
		}
		if d := time.Since(hangup); d > 100*time.Millisecond {
			t.Errorf("the client took %v to leave", d)
		}
		synctest.Wait()
		if control(t, ctl, ControlInfo).Info.Attached {
			t.Error("the session still counts as attached after its client said it left")
		}
		ev, at := rec.get()
		if len(ev) != 3 || ev[2] != "detached" || at[2].Sub(hangup) > 100*time.Millisecond {
			t.Errorf("records %q at %v, want detached at once after the hang-up", ev, at)
		}
		// Nothing more goes to where no one listens (mosh's server
		// sends heartbeats for 40 s).
		sent := r.lossy.Stats().Received
		time.Sleep(45 * time.Second)
		if n := r.lossy.Stats().Received - sent; n != 0 {
			t.Errorf("the server sent %d datagrams after its client left", n)
		}
		r.prog.mu.Lock()
		hungUp := r.prog.hungUp
		r.prog.mu.Unlock()
		if hungUp {
			t.Error("the program was hung up: the session must stay")
		}
	})
}
