package wire

import (
	"testing"
)

// TestKeystrokeEncodingAllocations: what a keystroke's datagram and its
// echo cost in allocations on the way out, each the one buffer the caller
// owns: a message allocates only its output, and a Fragmenter reuses its
// encoding buffer, its payload and its fragment list, so a small
// instruction costs nothing once the first has sized them.
func TestKeystrokeEncodingAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	keys := []UserInstruction{{Kind: UserKeystroke, Keys: []byte("a")}}
	if a := testing.AllocsPerRun(100, func() { _ = AppendUserMessage(nil, keys) }); a != 1 {
		t.Errorf("AppendUserMessage: %v allocations, want 1 (its output)", a)
	}
	echo := []HostInstruction{{Kind: HostEchoAck, EchoAck: 1 << 40}, {Kind: HostBytes, Bytes: []byte("a")},
		{Kind: HostResize, Width: 80, Height: 24}}
	if a := testing.AllocsPerRun(100, func() { _ = AppendHostMessage(nil, echo) }); a != 1 {
		t.Errorf("AppendHostMessage: %v allocations, want 1 (its output)", a)
	}
	var fr Fragmenter
	in := Instruction{ProtocolVersion: ProtocolVersion, NewNum: 7, AckNum: 3, Diff: AppendUserMessage(nil, keys)}
	if a := testing.AllocsPerRun(100, func() {
		in.NewNum++ // a new id each time, as a new state has
		if _, err := fr.Fragments(&in, MTUv4); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Fragments: %v allocations, want 0 (its buffers are reused)", a)
	}
}

// TestSessionAlternatingAllocations: a session seals its own datagrams and
// opens its peer's in turn, as an interactive session does. The OCB
// implementation keeps the last nonce's encrypted prefix (the top 90 bits:
// all but the low 6 bits of the sequence number) for the next call; the
// two directions' nonces differ in their top bit, so with one cipher
// instance for both every call recomputed it, with its allocations and
// one more block encryption. The pair must cost what each does alone.
func TestSessionAlternatingAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	s := newTestSession(t)
	peer := newTestSession(t)
	plain := make([]byte, 60)
	var seq uint64 = 1
	in := peer.Seal(nil, ToClient, seq, plain)
	sealOnly := testing.AllocsPerRun(200, func() {
		seq++
		_ = s.Seal(make([]byte, 0, 128), ToServer, seq, plain)
	})
	openOnly := testing.AllocsPerRun(200, func() {
		if _, _, _, err := s.Open(make([]byte, 0, 128), in); err != nil {
			t.Fatal(err)
		}
	})
	both := testing.AllocsPerRun(200, func() {
		seq++
		_ = s.Seal(make([]byte, 0, 128), ToServer, seq, plain)
		if _, _, _, err := s.Open(make([]byte, 0, 128), in); err != nil {
			t.Fatal(err)
		}
	})
	if both > sealOnly+openOnly {
		t.Errorf("seal then open: %v allocations, seal alone %v, open alone %v", both, sealOnly, openOnly)
	}
}

func newTestSession(t *testing.T) *Session {
	t.Helper()
	s, err := NewSession(vectorKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
