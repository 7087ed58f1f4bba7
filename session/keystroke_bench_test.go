package session

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// keystrokeRig is one keystroke's work at both ends with the session's real
// states, in one process and without system calls, cut into the steps the
// two ends take in turn: the client's user stream seals the key, the server
// opens it and takes the keys out, the echo goes through the server's
// emulator into its screen, the server seals the screen's diff, the client
// opens it and applies it to its replica, and computes the frame for its
// terminal.
type keystrokeRig struct {
	tb      testing.TB
	now     time.Time
	ct      *roam.Transport[*userStream, *complete]
	st      *roam.Transport[*complete, *userStream]
	emu     *term.Emulator
	display term.Display
	local   *term.Framebuffer
	frame   []byte
	dgs     [][]byte
	keys    []byte
	typed   int
}

func newKeystrokeRig(tb testing.TB) *keystrokeRig {
	key, err := wire.NewKey()
	if err != nil {
		tb.Fatal(err)
	}
	r := &keystrokeRig{tb: tb, now: time.Unix(1e9, 0)}
	r.ct, err = roam.NewTransport(roam.Client, key, newUserStream(), newComplete(80, 24), r.now, roam.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	r.st, err = roam.NewTransport(roam.Server, key, newComplete(80, 24), newUserStream(), r.now, roam.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	r.emu = term.NewEmulatorFor(r.st.Current().Framebuffer())
	_, _ = r.emu.Write([]byte("$ "))
	r.local = r.ct.Remote().Framebuffer().Clone()
	r.round() // the first state carries the whole screen
	return r
}

// rigStep is one of the rig's steps, named as the cold benchmark reports it.
type rigStep struct {
	name string
	run  func()
}

// steps are the rig's steps in order.
func (r *keystrokeRig) steps() []rigStep {
	return []rigStep{
		{"client-seal", r.clientSeal},
		{"server-open", r.serverOpen},
		{"server-keys", r.serverKeys},
		{"server-echo", r.serverEcho},
		{"server-seal", r.serverSeal},
		{"client-open", r.clientOpen},
		{"client-frame", r.clientFrame},
	}
}

func (r *keystrokeRig) round() {
	for _, s := range r.steps() {
		s.run()
	}
}

func (r *keystrokeRig) clientSeal() {
	r.now = r.now.Add(time.Second)
	k := byte('a' + r.typed%26)
	r.typed++
	if r.typed%60 == 0 {
		_, _ = r.emu.Write([]byte("\r\n$ "))
	}
	r.ct.Current().PushKeys([]byte{k})
	r.dgs = tickOne(r.tb, "client", r.ct, r.now)
}

func (r *keystrokeRig) serverOpen() { recvNew(r.tb, "server", r.st, r.dgs[0], r.now) }

func (r *keystrokeRig) serverKeys() {
	us := newUserStream()
	if err := us.Apply(r.st.RemoteDiff()); err != nil {
		r.tb.Fatal(err)
	}
	r.keys = us.Keys()
}

func (r *keystrokeRig) serverEcho() { _, _ = r.emu.Write(r.keys) }

func (r *keystrokeRig) serverSeal() { r.dgs = tickOne(r.tb, "server", r.st, r.now) }

func (r *keystrokeRig) clientOpen() { recvNew(r.tb, "client", r.ct, r.dgs[0], r.now) }

// tickOne ticks t, which must send exactly one datagram.
func tickOne[L roam.State[L], R roam.State[R]](tb testing.TB, side string, t *roam.Transport[L, R], now time.Time) [][]byte {
	dgs, err := t.Tick(now)
	if err != nil || len(dgs) != 1 {
		tb.Fatalf("%s tick: %d datagrams, %v", side, len(dgs), err)
	}
	return dgs
}

// recvNew gives t a datagram, which must bring a new state.
func recvNew[L roam.State[L], R roam.State[R]](tb testing.TB, side string, t *roam.Transport[L, R], dg []byte, now time.Time) {
	if info, err := t.Recv(dg, now, false); err != nil || !info.NewState {
		tb.Fatalf("%s recv: %+v %v", side, info, err)
	}
}

func (r *keystrokeRig) clientFrame() {
	next := r.ct.Remote().Framebuffer().Clone()
	r.frame = r.display.AppendNewFrame(r.frame[:0], true, r.local, next)
	if len(r.frame) == 0 {
		r.tb.Fatal("no frame for the echo")
	}
	r.local = next
}

// BenchmarkKeystrokeStates is one keystroke's work at both ends
// (keystrokeRig), hot: the steps run back to back. Its allocations are
// memory each key touches at one end or the other.
func BenchmarkKeystrokeStates(b *testing.B) {
	r := newKeystrokeRig(b)
	b.ReportAllocs()
	for b.Loop() {
		r.round()
	}
}

// coldKeys is how many keys BenchmarkKeystrokeStatesCold types per op.
const coldKeys = 300

// BenchmarkKeystrokeStatesCold is BenchmarkKeystrokeStates with the caches
// emptied before each step, as the other processes of a keystroke's chain
// (the terminal, the kernel, the shell) leave them between our two ends'
// turns: 64 MiB written a byte per cache line, more than the last-level
// cache of the machines this runs on, and a system call, which on a guest
// with page-table isolation also empties the TLB. A user typing at human
// speed meets our code this way at every key, and on a small virtual
// machine it is most of a keystroke's time at both ends (115-155 µs cold
// against 10-15 µs hot; docs/ARCHITECTURE.md). It reports each step's
// median in µs, and their sum, over coldKeys keys per op (the time per op
// is the evictions'): a change's effect on what a key really costs shows
// here when the hot benchmark hides it. The heap is warmed first, as the
// binaries do (WarmHeap), so that page faults do not blur the steps.
func BenchmarkKeystrokeStatesCold(b *testing.B) {
	evict := make([]byte, 64<<20)
	WarmHeap(16 << 20) // after the large allocation, which would otherwise reuse the pages
	r := newKeystrokeRig(b)
	steps := r.steps()
	times := make([][]time.Duration, len(steps))
	for b.Loop() {
		for range coldKeys {
			for i, s := range steps {
				for j := 0; j < len(evict); j += 64 {
					evict[j]++
				}
				_ = os.Getppid()
				start := time.Now()
				s.run()
				times[i] = append(times[i], time.Since(start))
			}
		}
	}
	var sum float64
	for i, s := range steps {
		slices.Sort(times[i])
		med := float64(times[i][len(times[i])/2]) / 1e3
		sum += med
		b.ReportMetric(med, s.name+"-µs")
	}
	b.ReportMetric(sum, "sum-µs")
	// An op is coldKeys keys and the evictions around their steps, which
	// are most of its time (so that one op passes the default -benchtime
	// and the run takes seconds, not minutes): its time says nothing.
	b.ReportMetric(0, "ns/op")
}
