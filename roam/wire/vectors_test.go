package wire

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// unhex decodes a hex string, ignoring spaces, failing the test on bad input.
func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// vectorKey is the key 00 01 … 0f of docs/PROTOCOL.md, Test vectors.
func vectorKey() Key {
	var k Key
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

func TestVectorKeyText(t *testing.T) {
	k := vectorKey()
	if got, want := k.String(), "AAECAwQFBgcICQoLDA0ODw"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	p, err := ParseKey("AAECAwQFBgcICQoLDA0ODw")
	if err != nil || p != k {
		t.Fatalf("ParseKey = %x, %v; want %x", p, err, k)
	}
}

// TestVectorsV1V2 checks docs/PROTOCOL.md, Test vectors, V1 and V2 both ways.
func TestVectorsV1V2(t *testing.T) {
	s, err := NewSession(vectorKey())
	if err != nil {
		t.Fatal(err)
	}
	plain := Packet{Timestamp: 0x1234, TimestampReply: NoTimestamp, Payload: []byte("hello")}.AppendMarshal(nil)
	if want := unhex(t, "1234ffff68656c6c6f"); !bytes.Equal(plain, want) {
		t.Fatalf("plaintext %x, want %x", plain, want)
	}
	for _, v := range []struct {
		name string
		dir  Direction
		seq  uint64
		dg   string
	}{
		{"V1", ToServer, 0, "000000000000000039022b58c0788d63f0fd1825ebcb3457afc552cc3e77f806fa"},
		{"V2", ToClient, 5, "80000000000000057536957660dbae0ca6e1b76b9c5b048786f34d266674fb8fb8"},
	} {
		t.Run(v.name, func(t *testing.T) {
			want := unhex(t, v.dg)
			got := s.Seal(nil, v.dir, v.seq, plain)
			if !bytes.Equal(got, want) {
				t.Fatalf("Seal = %x\nwant   %x", got, want)
			}
			dir, seq, pt, err := s.Open(nil, want)
			if err != nil || dir != v.dir || seq != v.seq || !bytes.Equal(pt, plain) {
				t.Fatalf("Open = %v %d %x %v", dir, seq, pt, err)
			}
			p, err := ParsePacket(pt)
			if err != nil || p.Timestamp != 0x1234 || p.TimestampReply != NoTimestamp || string(p.Payload) != "hello" {
				t.Fatalf("ParsePacket = %+v, %v", p, err)
			}
		})
	}
}

// TestVectorV3 checks the complete first client packet (docs/PROTOCOL.md, Test vectors, V3).
func TestVectorV3(t *testing.T) {
	userMsg := unhex(t, "0a061a0428503018")
	instrBytes := unhex(t, "0802100018012000280032080a061a04285030183a00")
	cZlib := unhex(t, "789ce360126090605460d06030e2e0629362d1083090b0620000105301de")
	datagram := unhex(t, "00000000000000004a1533e0b9b9b13d4bcdbc98862ad34b02428c8571949d686f4420ca31f0060ca43d50ffb19e12e522a8cf6e578156d3c1307e4499c292693671d758")

	if got := AppendUserMessage(nil, []UserInstruction{{Kind: UserResize, Width: 80, Height: 24}}); !bytes.Equal(got, userMsg) {
		t.Fatalf("UserMessage %x, want %x", got, userMsg)
	}
	in := &Instruction{ProtocolVersion: ProtocolVersion, OldNum: 0, NewNum: 1, AckNum: 0, ThrowawayNum: 0, Diff: userMsg, Chaff: nil}
	if got := in.AppendMarshal(nil); !bytes.Equal(got, instrBytes) {
		t.Fatalf("Instruction %x, want %x", got, instrBytes)
	}

	// Go's zlib bytes differ from C's: compare after decompressing, and
	// check that the C bytes decode to the same instruction.
	raw, err := Decompress(cZlib)
	if err != nil || !bytes.Equal(raw, instrBytes) {
		t.Fatalf("Decompress(C zlib) = %x, %v", raw, err)
	}
	raw, err = Decompress(Compress(instrBytes))
	if err != nil || !bytes.Equal(raw, instrBytes) {
		t.Fatalf("Decompress(Compress) = %x, %v", raw, err)
	}

	var fr Fragmenter
	frags, err := fr.Fragments(in, MTUv4)
	if err != nil || len(frags) != 1 || frags[0].ID != 1 || frags[0].Num != 0 || !frags[0].Final {
		t.Fatalf("Fragments = %+v, %v", frags, err)
	}

	// The datagram with the C-zlib bytes is reproducible by Seal.
	frag := Fragment{ID: 1, Num: 0, Final: true, Data: cZlib}.AppendMarshal(nil)
	if !bytes.Equal(frag[:FragmentHeaderLen], unhex(t, "00000000000000018000")) {
		t.Fatalf("fragment header %x", frag[:FragmentHeaderLen])
	}
	plain := Packet{Timestamp: 0, TimestampReply: NoTimestamp, Payload: frag}.AppendMarshal(nil)
	s, err := NewSession(vectorKey())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Seal(nil, ToServer, 0, plain); !bytes.Equal(got, datagram) {
		t.Fatalf("Seal = %x\nwant   %x", got, datagram)
	}

	// And the receiving side takes it apart again.
	dir, seq, pt, err := s.Open(nil, datagram)
	if err != nil || dir != ToServer || seq != 0 {
		t.Fatalf("Open: %v %d %v", dir, seq, err)
	}
	p, err := ParsePacket(pt)
	if err != nil || p.Timestamp != 0 || p.TimestampReply != NoTimestamp {
		t.Fatalf("ParsePacket = %+v, %v", p, err)
	}
	f, err := ParseFragment(p.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var a Assembler
	got, err := a.Add(f)
	if err != nil || got == nil {
		t.Fatalf("Add = %v, %v", got, err)
	}
	if got.ProtocolVersion != 2 || got.OldNum != 0 || got.NewNum != 1 || got.AckNum != 0 || got.ThrowawayNum != 0 ||
		!bytes.Equal(got.Diff, userMsg) || len(got.Chaff) != 0 {
		t.Fatalf("instruction %+v", got)
	}
	ui, err := ParseUserMessage(got.Diff)
	if err != nil || len(ui) != 1 || ui[0].Kind != UserResize || ui[0].Width != 80 || ui[0].Height != 24 {
		t.Fatalf("ParseUserMessage = %+v, %v", ui, err)
	}
}
