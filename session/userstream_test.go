package session

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"pgregory.net/rapid"
)

func TestUserStreamDiffMergesKeystrokes(t *testing.T) {
	u := newUserStream()
	u.PushResize(80, 24)
	u.PushKeys([]byte("ec"))
	u.PushKeys([]byte("ho"))
	u.PushResize(100, 30)
	u.PushKeys([]byte("\r"))
	ins, err := wire.ParseUserMessage(u.DiffFrom(newUserStream()))
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.UserInstruction{
		{Kind: wire.UserResize, Width: 80, Height: 24},
		{Kind: wire.UserKeystroke, Keys: []byte("echo")},
		{Kind: wire.UserResize, Width: 100, Height: 30},
		{Kind: wire.UserKeystroke, Keys: []byte("\r")},
	}
	if len(ins) != len(want) {
		t.Fatalf("got %d instructions %+v, want %+v", len(ins), ins, want)
	}
	for i := range want {
		if ins[i].Kind != want[i].Kind || string(ins[i].Keys) != string(want[i].Keys) ||
			ins[i].Width != want[i].Width || ins[i].Height != want[i].Height {
			t.Errorf("instruction %d = %+v, want %+v", i, ins[i], want[i])
		}
	}
}

func TestUserStreamFirstStateMatchesMosh(t *testing.T) {
	// docs/PROTOCOL.md, UserMessage: resize 80×24.
	u := newUserStream()
	u.PushResize(80, 24)
	got := u.DiffFrom(newUserStream())
	if want := []byte{0x0a, 0x06, 0x1a, 0x04, 0x28, 0x50, 0x30, 0x18}; string(got) != string(want) {
		t.Errorf("diff = % x, want % x", got, want)
	}
}

func TestUserStreamClampsResize(t *testing.T) {
	u := newUserStream()
	u.PushResize(0, -5)
	ev := u.Events()[0]
	if ev.Width != 1 || ev.Height != 1 {
		t.Errorf("resize clamped to %dx%d, want 1x1 (a zero size aborts a real mosh-server)", ev.Width, ev.Height)
	}
}

func genEvents(t *rapid.T, label string) *userStream {
	u := newUserStream()
	n := rapid.IntRange(0, 20).Draw(t, label+"-n")
	for i := 0; i < n; i++ {
		if rapid.IntRange(0, 4).Draw(t, label+"-kind") == 0 {
			u.PushResize(rapid.IntRange(1, 500).Draw(t, "w"), rapid.IntRange(1, 300).Draw(t, "h"))
		} else {
			u.PushKeys(rapid.SliceOfN(rapid.Byte(), 1, 8).Draw(t, "keys"))
		}
	}
	return u
}

// The law of states: applying b.DiffFrom(a) to a gives b, whenever a is a
// prefix of b (as every earlier state of the append-only log is).
func TestUserStreamDiffApplyLaw(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genEvents(t, "a")
		b := a.Clone()
		more := genEvents(t, "more")
		b.events = append(b.events, more.events...)
		// The client's word that it leaves comes once, after its keys.
		if rapid.Bool().Draw(t, "a-detached") {
			a.Detach()
			b.Detach()
		} else if rapid.Bool().Draw(t, "b-detaches") {
			b.Detach()
		}
		more.detached = b.detached
		got := a.Clone()
		if err := got.Apply(b.DiffFrom(a)); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(b) {
			t.Fatalf("apply(diff(a,b), a) = %v, want %v", got.events, b.events)
		}
		// Subtracting the shared prefix leaves exactly the new events.
		b.Subtract(a)
		if !b.Equal(more) {
			t.Fatalf("subtract left %v, want %v", b.events, more.events)
		}
	})
}

func TestUserStreamApplyRejectsGarbage(t *testing.T) {
	u := newUserStream()
	u.PushKeys([]byte("x"))
	before := u.Clone()
	if err := u.Apply([]byte{0xff, 0xff}); err == nil {
		t.Error("Apply accepted a diff that is not a UserMessage")
	}
	if !u.Equal(before) {
		t.Error("a failed Apply changed the state")
	}
}

func TestSaneSize(t *testing.T) {
	for _, tt := range []struct{ w, h, ww, wh int }{
		{80, 24, 80, 24}, {0, -3, 1, 1}, {65535, 65535, 4096, 512}, {300, 100000, 300, 4096}, {4096, 4096, 4096, 512},
	} {
		if w, h := saneSize(tt.w, tt.h); w != tt.ww || h != tt.wh {
			t.Errorf("SaneSize(%d, %d) = %d, %d; want %d, %d", tt.w, tt.h, w, h, tt.ww, tt.wh)
		}
	}
}

func TestCompleteApplyHugeResizeIsClamped(t *testing.T) {
	c := newComplete(80, 24)
	diff := wire.AppendHostMessage(nil, []wire.HostInstruction{{Kind: wire.HostResize, Width: 65535, Height: 65535}})
	if err := c.Apply(diff); err != nil {
		t.Fatal(err)
	}
	if w, h := c.Framebuffer().Width(), c.Framebuffer().Height(); w*h > maxScreenCells {
		t.Fatalf("a hostile resize made a %dx%d screen", w, h)
	}
}

// TestUserStreamClonesStayIndependent: clones share the log's storage
// (Clone), so whatever either side does afterwards (append keys or a
// resize, apply a diff, subtract a prefix) must leave the other's events
// as they were.
func TestUserStreamClonesStayIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		streams := []*userStream{genEvents(t, "start")}
		want := [][]userEvent{append([]userEvent(nil), streams[0].events...)}
		for step := range rapid.IntRange(1, 30).Draw(t, "steps") {
			i := rapid.IntRange(0, len(streams)-1).Draw(t, fmt.Sprint("which", step))
			u := streams[i]
			switch rapid.IntRange(0, 4).Draw(t, fmt.Sprint("op", step)) {
			case 0:
				streams = append(streams, u.Clone())
				want = append(want, append([]userEvent(nil), u.events...))
			case 1:
				k := rapid.Byte().Draw(t, fmt.Sprint("key", step))
				u.PushKeys([]byte{k})
				want[i] = append(want[i], userEvent{Byte: k})
			case 2:
				u.PushResize(80, 24)
				want[i] = append(want[i], u.events[len(u.events)-1])
			case 3:
				more := genEvents(t, fmt.Sprint("more", step))
				next := u.Clone()
				next.events = append(next.events, more.events...)
				if err := u.Apply(next.DiffFrom(u)); err != nil {
					t.Fatal(err)
				}
				want[i] = append(want[i], more.events...)
			case 4:
				j := rapid.IntRange(0, len(streams)-1).Draw(t, fmt.Sprint("prefix", step))
				u.Subtract(streams[j])
				want[i] = append([]userEvent(nil), u.events...)
			}
			for j, s := range streams {
				if !slices.Equal(s.events, want[j]) {
					t.Fatalf("step %d: stream %d has %v, want %v", step, j, s.events, want[j])
				}
			}
		}
	})
}

// TestUserStreamSize: the receiver's byte bound counts a stream's events,
// its clones' as their own (they share the storage).
func TestUserStreamSize(t *testing.T) {
	u := newUserStream()
	if u.Size() != 0 {
		t.Fatalf("empty stream: Size %d", u.Size())
	}
	u.PushKeys([]byte("abc"))
	u.PushResize(80, 24)
	one := u.Size() / 4
	if one <= 0 || u.Size() != 4*one {
		t.Fatalf("4 events: Size %d", u.Size())
	}
	c := u.Clone()
	c.PushKeys([]byte("d"))
	if u.Size() != 4*one || c.Size() != 5*one {
		t.Fatalf("after a push to the clone: Size %d and %d, want %d and %d", u.Size(), c.Size(), 4*one, 5*one)
	}
	c.Subtract(u)
	if c.Size() != one {
		t.Fatalf("after subtracting the original: Size %d, want %d", c.Size(), one)
	}
}
