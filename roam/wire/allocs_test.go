package wire

import (
	"testing"
)

// TestKeystrokeEncodingAllocations: what a keystroke's datagram and its
// echo cost in allocations on the way out, each the one buffer the caller
// owns: a message allocates only its output, and a Fragmenter reuses its
// encoding buffer, so a small instruction costs its payload and its
// fragment list.
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
	}); a != 2 {
		t.Errorf("Fragments: %v allocations, want 2 (the payload and the fragment list)", a)
	}
}
