package session

import (
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// BenchmarkKeystrokeStates is one keystroke's work at both ends with the
// session's real states, in one process and without system calls: the
// client's user stream seals the key, the server opens it, the echo goes
// through the server's emulator into its screen, the server seals the
// screen's diff, the client opens and applies it to its replica and
// computes the frame for its terminal. Its allocations are memory each
// key touches at one end or the other; on a machine whose caches have gone
// cold since the last key, each new cache line and page costs more than
// the work itself.
func BenchmarkKeystrokeStates(b *testing.B) {
	key, err := wire.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1e9, 0)
	ct, err := roam.NewTransport(roam.Client, key, newUserStream(), newComplete(80, 24), now, roam.Config{})
	if err != nil {
		b.Fatal(err)
	}
	st, err := roam.NewTransport(roam.Server, key, newComplete(80, 24), newUserStream(), now, roam.Config{})
	if err != nil {
		b.Fatal(err)
	}
	emu := term.NewEmulatorFor(st.Current().Framebuffer())
	_, _ = emu.Write([]byte("$ "))
	var display term.Display
	local := ct.Remote().Framebuffer().Clone()
	var frame []byte
	typed := 0
	round := func() {
		now = now.Add(time.Second)
		k := byte('a' + typed%26)
		typed++
		if typed%60 == 0 {
			_, _ = emu.Write([]byte("\r\n$ "))
		}
		ct.Current().PushKeys([]byte{k})
		dgs, err := ct.Tick(now)
		if err != nil || len(dgs) != 1 {
			b.Fatalf("client tick: %d datagrams, %v", len(dgs), err)
		}
		if info, err := st.Recv(dgs[0], now, false); err != nil || !info.NewState {
			b.Fatalf("server recv: %+v %v", info, err)
		}
		us := newUserStream()
		if err := us.Apply(st.RemoteDiff()); err != nil {
			b.Fatal(err)
		}
		_, _ = emu.Write(us.Keys())
		dgs, err = st.Tick(now)
		if err != nil || len(dgs) != 1 {
			b.Fatalf("server tick: %d datagrams, %v", len(dgs), err)
		}
		if info, err := ct.Recv(dgs[0], now, false); err != nil || !info.NewState {
			b.Fatalf("client recv: %+v %v", info, err)
		}
		next := ct.Remote().Framebuffer().Clone()
		frame = display.AppendNewFrame(frame[:0], true, local, next)
		if len(frame) == 0 {
			b.Fatal("no frame for the echo")
		}
		local = next
	}
	round() // the first state carries the whole screen
	b.ReportAllocs()
	for b.Loop() {
		round()
	}
}
