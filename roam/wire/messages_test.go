package wire

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"pgregory.net/rapid"
)

func TestUserMessageExample(t *testing.T) {
	// docs/PROTOCOL.md, UserMessage: resize 80×24.
	want := unhex(t, "0a 06 1a 04 28 50 30 18")
	got := AppendUserMessage(nil, []UserInstruction{{Kind: UserResize, Width: 80, Height: 24}})
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
	// Keystroke "ab" then resize, as mosh's UserStream::diff_from writes them.
	got = AppendUserMessage(nil, []UserInstruction{{Kind: UserKeystroke, Keys: []byte("ab")}, {Kind: UserResize, Width: 100, Height: 30}})
	want = unhex(t, "0a 06 12 04 22 02 61 62  0a 06 1a 04 28 64 30 1e")
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

func TestHostMessageExample(t *testing.T) {
	got := AppendHostMessage(nil, []HostInstruction{
		{Kind: HostEchoAck, EchoAck: 1},
		{Kind: HostResize, Width: 80, Height: 24},
		{Kind: HostBytes, Bytes: []byte("\x1b[H")},
	})
	want := unhex(t, "0a 04 3a 02 40 01  0a 06 1a 04 28 50 30 18  0a 07 12 05 22 03 1b 5b 48")
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
	ins, err := ParseHostMessage(got)
	if err != nil || len(ins) != 3 || ins[0].Kind != HostEchoAck || ins[0].EchoAck != 1 ||
		ins[1].Kind != HostResize || ins[1].Width != 80 || ins[1].Height != 24 ||
		ins[2].Kind != HostBytes || string(ins[2].Bytes) != "\x1b[H" {
		t.Fatalf("ParseHostMessage = %+v, %v", ins, err)
	}
}

// msg builds a message out of raw protobuf pieces for the precedence tests.
func field(num protowire.Number, inner []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, inner)
}

func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseUserMessageMoshSemantics(t *testing.T) {
	resize := func(w, h uint64) []byte { return field(3, cat(varintField(5, w), varintField(6, h))) }
	keys := func(s string) []byte { return field(2, field(4, []byte(s))) }
	for _, c := range []struct {
		name    string
		msg     []byte
		want    []UserInstruction
		wantErr bool
	}{
		{"empty", nil, nil, false},
		{"keystroke wins over resize", field(1, cat(resize(80, 24), keys("x"))), []UserInstruction{{Kind: UserKeystroke, Keys: []byte("x")}}, false},
		{"no extension skipped", cat(field(1, nil), field(1, field(9, []byte("?"))), field(1, keys("k"))), []UserInstruction{{Kind: UserKeystroke, Keys: []byte("k")}}, false},
		{"echoack unknown to client buffers", field(1, field(7, []byte{0xff})), nil, false},
		{"keystroke merged, last keys wins", field(1, cat(keys("a"), keys("b"))), []UserInstruction{{Kind: UserKeystroke, Keys: []byte("b")}}, false},
		{"resize merged field-wise", field(1, cat(field(3, varintField(5, 10)), field(3, varintField(6, 20)))), []UserInstruction{{Kind: UserResize, Width: 10, Height: 20}}, false},
		{"unknown top-level field skipped", cat(varintField(15, 7), field(1, resize(1, 1))), []UserInstruction{{Kind: UserResize, Width: 1, Height: 1}}, false},
		{"zero width", field(1, resize(0, 24)), nil, true},
		{"missing height", field(1, field(3, varintField(5, 80))), nil, true},
		{"negative height", field(1, resize(80, uint64(1<<64-1))), nil, true},
		{"too wide", field(1, resize(MaxTermDim+1, 24)), nil, true},
		{"largest", field(1, resize(MaxTermDim, MaxTermDim)), []UserInstruction{{Kind: UserResize, Width: MaxTermDim, Height: MaxTermDim}}, false},
		{"bad resize hidden behind keystroke", field(1, cat(keys("z"), resize(0, 0))), []UserInstruction{{Kind: UserKeystroke, Keys: []byte("z")}}, false},
		{"ff ff (killed mosh-server)", []byte{0xff, 0xff}, nil, true},
		{"truncated", field(1, keys("abc"))[:5], nil, true},
		{"bad inner", field(1, field(2, []byte{0x22, 0x05})), nil, true},
		{"wire type 7", []byte{0x0f}, nil, true},
		{"field 0", []byte{0x02, 0x00}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseUserMessage(c.msg)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i].Kind != c.want[i].Kind || !bytes.Equal(got[i].Keys, c.want[i].Keys) ||
					got[i].Width != c.want[i].Width || got[i].Height != c.want[i].Height {
					t.Fatalf("got %+v, want %+v", got, c.want)
				}
			}
		})
	}
}

func TestParseHostMessagePrecedence(t *testing.T) {
	hb := field(2, field(4, []byte("hi")))
	rs := field(3, cat(varintField(5, 80), varintField(6, 24)))
	ea := field(7, varintField(8, 9))
	got, err := ParseHostMessage(cat(field(1, cat(ea, rs, hb)), field(1, cat(ea, rs)), field(1, ea)))
	if err != nil || len(got) != 3 || got[0].Kind != HostBytes || got[1].Kind != HostResize || got[2].Kind != HostEchoAck || got[2].EchoAck != 9 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := ParseHostMessage(field(1, field(3, varintField(5, 80)))); err == nil {
		t.Fatal("host resize without height accepted")
	}
}

func userInstructionGen() *rapid.Generator[UserInstruction] {
	return rapid.Custom(func(t *rapid.T) UserInstruction {
		if rapid.Bool().Draw(t, "keystroke") {
			return UserInstruction{Kind: UserKeystroke, Keys: rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "keys")}
		}
		return UserInstruction{Kind: UserResize,
			Width:  rapid.Int32Range(1, MaxTermDim).Draw(t, "w"),
			Height: rapid.Int32Range(1, MaxTermDim).Draw(t, "h")}
	})
}

func hostInstructionGen() *rapid.Generator[HostInstruction] {
	return rapid.Custom(func(t *rapid.T) HostInstruction {
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			return HostInstruction{Kind: HostBytes, Bytes: rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "bytes")}
		case 1:
			return HostInstruction{Kind: HostResize,
				Width:  rapid.Int32Range(1, MaxTermDim).Draw(t, "w"),
				Height: rapid.Int32Range(1, MaxTermDim).Draw(t, "h")}
		}
		return HostInstruction{Kind: HostEchoAck, EchoAck: rapid.Uint64().Draw(t, "ack")}
	})
}

func TestUserMessageRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ins := rapid.SliceOf(userInstructionGen()).Draw(t, "ins")
		got, err := ParseUserMessage(AppendUserMessage(nil, ins))
		if err != nil || len(got) != len(ins) {
			t.Fatalf("got %+v, %v", got, err)
		}
		for i := range ins {
			if got[i].Kind != ins[i].Kind || !bytes.Equal(got[i].Keys, ins[i].Keys) || got[i].Width != ins[i].Width || got[i].Height != ins[i].Height {
				t.Fatalf("%d: got %+v, want %+v", i, got[i], ins[i])
			}
		}
	})
}

func TestHostMessageRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ins := rapid.SliceOf(hostInstructionGen()).Draw(t, "ins")
		got, err := ParseHostMessage(AppendHostMessage(nil, ins))
		if err != nil || len(got) != len(ins) {
			t.Fatalf("got %+v, %v", got, err)
		}
		for i := range ins {
			if got[i].Kind != ins[i].Kind || !bytes.Equal(got[i].Bytes, ins[i].Bytes) || got[i].Width != ins[i].Width ||
				got[i].Height != ins[i].Height || got[i].EchoAck != ins[i].EchoAck {
				t.Fatalf("%d: got %+v, want %+v", i, got[i], ins[i])
			}
		}
	})
}

func instructionGen() *rapid.Generator[*Instruction] {
	return rapid.Custom(func(t *rapid.T) *Instruction {
		return &Instruction{
			ProtocolVersion: rapid.Uint32().Draw(t, "version"),
			OldNum:          rapid.Uint64().Draw(t, "old"),
			NewNum:          rapid.Uint64().Draw(t, "new"),
			AckNum:          rapid.Uint64().Draw(t, "ack"),
			ThrowawayNum:    rapid.Uint64().Draw(t, "throwaway"),
			Diff:            rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "diff"),
			Chaff:           rapid.SliceOfN(rapid.Byte(), 0, 16).Draw(t, "chaff"),
		}
	})
}

func equalInstruction(a, b *Instruction) bool {
	return a.ProtocolVersion == b.ProtocolVersion && a.OldNum == b.OldNum && a.NewNum == b.NewNum &&
		a.AckNum == b.AckNum && a.ThrowawayNum == b.ThrowawayNum && bytes.Equal(a.Diff, b.Diff) && bytes.Equal(a.Chaff, b.Chaff)
}

func TestInstructionRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := instructionGen().Draw(t, "in")
		got, err := UnmarshalInstruction(in.AppendMarshal(nil))
		if err != nil || !equalInstruction(in, got) {
			t.Fatalf("got %+v, %v; want %+v", got, err, in)
		}
	})
}

func TestUnmarshalInstructionProto2(t *testing.T) {
	// Last value wins, unknown fields and mismatched wire types are skipped.
	b := cat(varintField(3, 5), varintField(3, 6), field(3, []byte("x")), varintField(99, 1),
		protowire.AppendFixed32(protowire.AppendTag(nil, 20, protowire.Fixed32Type), 7),
		protowire.AppendFixed64(protowire.AppendTag(nil, 21, protowire.Fixed64Type), 7),
		protowire.AppendTag(nil, 22, protowire.StartGroupType), varintField(1, 1), protowire.AppendTag(nil, 22, protowire.EndGroupType),
		varintField(1, 1<<32|2), field(6, []byte("d1")), field(6, []byte("d2")))
	in, err := UnmarshalInstruction(b)
	if err != nil || in.NewNum != 6 || in.ProtocolVersion != 2 || string(in.Diff) != "d2" {
		t.Fatalf("got %+v, %v", in, err)
	}
	for _, bad := range [][]byte{
		{0x08},       // tag without value
		{0x08, 0x80}, // unterminated varint
		{0x32, 0x05, 'a'},
		{0x0c}, // end group without start
		{0x0b}, // start group without end
		{0x00, 0x00},
		bytes.Repeat([]byte{0x80}, 11),
	} {
		if _, err := UnmarshalInstruction(bad); err == nil {
			t.Errorf("UnmarshalInstruction(%x) accepted", bad)
		}
	}
}

func TestDecompressBounds(t *testing.T) {
	exact := make([]byte, MaxDecompressed)
	got, err := Decompress(Compress(exact))
	if err != nil || len(got) != MaxDecompressed {
		t.Fatalf("exactly 4 MiB: %d, %v", len(got), err)
	}
	if _, err := Decompress(Compress(make([]byte, MaxDecompressed+1))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("4 MiB + 1: %v", err)
	}
	z := Compress([]byte("hello, world"))
	for n := range len(z) {
		if _, err := Decompress(z[:n]); err == nil {
			t.Errorf("truncated to %d accepted", n)
		}
	}
	bad := bytes.Clone(z)
	bad[len(bad)-1] ^= 1
	if _, err := Decompress(bad); err == nil {
		t.Error("bad checksum accepted")
	}
	if got, err := Decompress(append(bytes.Clone(z), "trailing"...)); err != nil || string(got) != "hello, world" {
		t.Errorf("trailing bytes after the stream (zlib's uncompress ignores them): %q, %v", got, err)
	}
}
