package session

import (
	"runtime"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// hostileServer seals instructions to a client transport as a server
// holding the key would, whatever they say.
type hostileServer struct {
	t    *testing.T
	sess *wire.Session
	fr   wire.Fragmenter
	seq  uint64
}

func (h *hostileServer) send(cl *roam.Transport[*userStream, *complete], in wire.Instruction) roam.RecvInfo {
	h.t.Helper()
	in.ProtocolVersion = wire.ProtocolVersion
	frags, err := h.fr.Fragments(&in, wire.MTUv4)
	if err != nil {
		h.t.Fatal(err)
	}
	var info roam.RecvInfo
	for _, f := range frags {
		plain := f.AppendMarshal(wire.Packet{Timestamp: 1, TimestampReply: wire.NoTimestamp}.AppendMarshal(nil))
		dg := h.sess.Seal(nil, wire.ToClient, h.seq, plain)
		h.seq++
		if info, err = cl.Recv(dg, t0, false); err != nil {
			h.t.Fatalf("state %d: %v", in.NewNum, err)
		}
	}
	return info
}

// A hostile server sends screen resizes of a few bytes each, alternating
// between two widths so that every state has all its rows anew (2 Mi
// cells, 64 MiB), and never lets the client throw any state away. mosh
// keeps up to 1024 of them (64 GiB); the client's receiver must keep what
// it holds to a few hundred MiB however many arrive.
func TestHostileResizesStayBounded(t *testing.T) {
	const (
		states = 8
		limit  = 320 << 20 // bytes of live heap the receiver may add
	)
	key := wire.Key{1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 121, 98, 219}
	cl, err := roam.NewTransport(roam.Client, key, newUserStream(), newComplete(80, 24), t0, roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := wire.NewSession(key)
	if err != nil {
		t.Fatal(err)
	}
	hostile := &hostileServer{t: t, sess: sess}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	for n := uint64(1); n <= states; n++ {
		w := int32(maxScreenSide - n%2)
		h := int32(maxScreenCells / maxScreenSide)
		diff := wire.AppendHostMessage(nil, []wire.HostInstruction{{Kind: wire.HostResize, Width: w, Height: h}})
		// Throwaway 1 from state 2 on: state 1, itself a full screen, is
		// the oldest the client must keep.
		info := hostile.send(cl, wire.Instruction{OldNum: n - 1, NewNum: n, ThrowawayNum: min(n-1, 1), Diff: diff})
		if !info.NewState || cl.RemoteNum() != n {
			t.Fatalf("state %d not taken (newest %d): a bound must not refuse new states", n, cl.RemoteNum())
		}
		if fb := cl.Remote().Framebuffer(); fb.Width()*fb.Height() < maxScreenCells-maxScreenSide {
			t.Fatalf("state %d is %dx%d, not a full screen", n, fb.Width(), fb.Height())
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		live := ms.HeapAlloc - min(base, ms.HeapAlloc)
		peak = max(peak, live)
		if live > limit {
			t.Fatalf("after %d states of %d bytes' diff each, the client holds %d MiB (limit %d MiB)",
				n, len(diff), live>>20, limit>>20)
		}
	}
	t.Logf("%d hostile full-screen states: live heap at most %d MiB above the start (limit %d MiB), %d MiB obtained from the OS",
		states, peak>>20, limit>>20, ms.Sys>>20)
	runtime.KeepAlive(cl)
}
