package wire

import (
	"bytes"
	"testing"
)

// Fuzz targets for every decoder. Each checks a round trip where the format
// allows one, not just the absence of panics.

func FuzzOpen(f *testing.F) {
	s, err := NewSession(vectorKey())
	if err != nil {
		f.Fatal(err)
	}
	for _, h := range []string{
		"000000000000000039022b58c0788d63f0fd1825ebcb3457afc552cc3e77f806fa",
		"80000000000000057536957660dbae0ca6e1b76b9c5b048786f34d266674fb8fb8",
		"00000000000000004a1533e0b9b9b13d4bcdbc98862ad34b02428c8571949d686f4420ca31f0060ca43d50ffb19e12e522a8cf6e578156d3c1307e4499c292693671d758",
	} {
		f.Add(unhex(f, h))
	}
	f.Add([]byte{})
	f.Add(make([]byte, SealOverhead-1))
	f.Add(make([]byte, SealOverhead))
	f.Add(s.Seal(nil, ToClient, MaxSeq, make([]byte, MaxDatagram-SealOverhead)))
	f.Add(make([]byte, MaxDatagram+1))
	f.Fuzz(func(t *testing.T, dg []byte) {
		dir, seq, pt, err := s.Open(nil, dg)
		if err != nil {
			return
		}
		if again := s.Seal(nil, dir, seq, pt); !bytes.Equal(again, dg) {
			t.Fatalf("Seal(Open(x)) = %x, want %x", again, dg)
		}
	})
}

func FuzzParseFragment(f *testing.F) {
	f.Add(unhex(f, "00000000000000018000789c"))
	f.Add(unhex(f, "0102030405060708ffff"))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFragment(b)
		if err != nil {
			if len(b) >= FragmentHeaderLen {
				t.Fatalf("refused %d bytes: %v", len(b), err)
			}
			return
		}
		if again := fr.AppendMarshal(nil); !bytes.Equal(again, b) {
			t.Fatalf("AppendMarshal(ParseFragment(x)) = %x, want %x", again, b)
		}
	})
}

// splitFragments reads fuzz bytes as a sequence of length-prefixed
// fragments (one length byte each).
func splitFragments(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := int(b[0])
		b = b[1:]
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// joinFragments is the inverse of splitFragments for seeds.
func joinFragments(frags []Fragment) []byte {
	var out []byte
	for _, f := range frags {
		m := f.AppendMarshal(nil)
		out = append(out, byte(len(m)))
		out = append(out, m...)
	}
	return out
}

func FuzzAssembler(f *testing.F) {
	var fr Fragmenter
	in := &Instruction{ProtocolVersion: 2, OldNum: 1, NewNum: 2, AckNum: 3, Diff: bytes.Repeat([]byte("0123456789"), 30), Chaff: []byte{9}}
	frags, err := fr.Fragments(in, 100)
	if err != nil {
		f.Fatal(err)
	}
	frags = cloneFragments(frags) // kept past the next call
	f.Add(joinFragments(frags))
	rev := make([]Fragment, 0, 2*len(frags))
	for i := len(frags) - 1; i >= 0; i-- {
		rev = append(rev, frags[i], frags[i])
	}
	f.Add(joinFragments(rev))
	single, err := fr.Fragments(&Instruction{ProtocolVersion: 2, NewNum: 1}, MTUv4)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(joinFragments(append(single, frags...)))
	f.Add(joinFragments([]Fragment{{ID: 1, Num: 3, Final: true, Data: []byte("x")}, {ID: 1, Num: 5, Data: []byte("y")}}))
	f.Add(joinFragments([]Fragment{{ID: 1, Num: 0, Final: true, Data: []byte("x")}}))
	f.Add(joinFragments([]Fragment{{ID: 1, Num: 0x7FFF, Data: []byte("x")}, {ID: 1, Num: 0, Final: true, Data: []byte("x")}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Assembler
		for _, p := range splitFragments(b) {
			fr, err := ParseFragment(p)
			if err != nil {
				continue
			}
			in, err := a.Add(fr)
			if err != nil || in == nil {
				continue
			}
			again, err := UnmarshalInstruction(in.AppendMarshal(nil))
			if err != nil || !equalInstruction(in, again) {
				t.Fatalf("assembled instruction does not round-trip: %+v, %v", in, err)
			}
		}
	})
}

func FuzzUnmarshalInstruction(f *testing.F) {
	f.Add(unhex(f, "0802100018012000280032080a061a04285030183a00"))
	f.Add((&Instruction{ProtocolVersion: 2, OldNum: 1<<64 - 1, NewNum: 1<<64 - 1, Diff: []byte("x"), Chaff: make([]byte, 16)}).AppendMarshal(nil))
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte{0x0b, 0x08, 0x01, 0x0c})
	f.Add(bytes.Repeat([]byte{0x80}, 11))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := UnmarshalInstruction(b)
		if err != nil {
			return
		}
		again, err := UnmarshalInstruction(in.AppendMarshal(nil))
		if err != nil || !equalInstruction(in, again) {
			t.Fatalf("round trip: %+v vs %+v, %v", in, again, err)
		}
	})
}

func FuzzDecompress(f *testing.F) {
	f.Add(unhex(f, "789ce360126090605460d06030e2e0629362d1083090b0620000105301de"))
	f.Add(Compress(nil))
	f.Add(Compress(bytes.Repeat([]byte{0}, 100000)))
	f.Add([]byte{0x78, 0xbb, 0, 0, 0, 0}) // preset dictionary
	f.Add([]byte("plain"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Decompress(b)
		if err != nil {
			return
		}
		if len(out) > MaxDecompressed {
			t.Fatalf("%d bytes out", len(out))
		}
		again, err := Decompress(Compress(out))
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

func FuzzParseUserMessage(f *testing.F) {
	f.Add(unhex(f, "0a061a0428503018"))
	f.Add(AppendUserMessage(nil, []UserInstruction{{Kind: UserKeystroke, Keys: []byte("ls\r")}, {Kind: UserResize, Width: 1, Height: MaxTermDim}}))
	f.Add([]byte{0xff, 0xff})
	f.Add(unhex(f, "0a061a0428003018")) // 0×24
	f.Add(unhex(f, "0a0812042202616212021a00"))
	f.Add(AppendUserMessage(nil, []UserInstruction{{Kind: UserExtensionOffer, Features: FeatureExitStatus}, {Kind: UserResize, Width: 80, Height: 24}}))
	f.Add(AppendUserMessage(nil, []UserInstruction{{Kind: UserKeystroke, Keys: []byte("x")}, {Kind: UserDetach}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ins, err := ParseUserMessage(b)
		if err != nil {
			return
		}
		for _, in := range ins {
			if in.Kind == UserResize && checkSize(in.Width, in.Height) != nil {
				t.Fatalf("accepted resize %dx%d", in.Width, in.Height)
			}
		}
		again, err := ParseUserMessage(AppendUserMessage(nil, ins))
		if err != nil || len(again) != len(ins) {
			t.Fatalf("round trip: %+v vs %+v, %v", ins, again, err)
		}
		for i := range ins {
			if again[i].Kind != ins[i].Kind || !bytes.Equal(again[i].Keys, ins[i].Keys) || again[i].Width != ins[i].Width || again[i].Height != ins[i].Height ||
				again[i].Features != ins[i].Features {
				t.Fatalf("round trip %d: %+v vs %+v", i, ins[i], again[i])
			}
		}
	})
}

func FuzzParseHostMessage(f *testing.F) {
	f.Add(AppendHostMessage(nil, []HostInstruction{{Kind: HostEchoAck, EchoAck: 1}, {Kind: HostResize, Width: 80, Height: 24}, {Kind: HostBytes, Bytes: []byte("\x1b[?25l\r\n$ ")}}))
	f.Add([]byte{0xff, 0xff})
	f.Add(unhex(f, "0a061a04287f3000"))
	f.Add(unhex(f, "0a043a0240ff"))
	f.Add(AppendHostMessage(nil, []HostInstruction{{Kind: HostBytes, Bytes: []byte("$ ")}, {Kind: HostExitStatus, Exit: ExitStatus{Code: 3}}}))
	f.Add(AppendHostMessage(nil, []HostInstruction{{Kind: HostExitStatus, Exit: ExitStatus{Signal: 15}}}))
	f.Add(AppendHostMessage(nil, []HostInstruction{{Kind: HostBytes, Bytes: []byte("x")}, {Kind: HostHistory, History: History{First: 2, Next: 4,
		Lines: []HistoryLine{{N: 3, Text: []byte("\x1b[0;1mL3"), Wrap: true}}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ins, err := ParseHostMessage(b)
		if err != nil {
			return
		}
		for _, in := range ins {
			if in.Kind == HostResize && checkSize(in.Width, in.Height) != nil {
				t.Fatalf("accepted resize %dx%d", in.Width, in.Height)
			}
		}
		again, err := ParseHostMessage(AppendHostMessage(nil, ins))
		if err != nil || len(again) != len(ins) {
			t.Fatalf("round trip: %+v vs %+v, %v", ins, again, err)
		}
		for i := range ins {
			if again[i].Kind != ins[i].Kind || !bytes.Equal(again[i].Bytes, ins[i].Bytes) || again[i].Width != ins[i].Width ||
				again[i].Height != ins[i].Height || again[i].EchoAck != ins[i].EchoAck || again[i].Exit != ins[i].Exit || !historyEqual(again[i].History, ins[i].History) {
				t.Fatalf("round trip %d: %+v vs %+v", i, ins[i], again[i])
			}
		}
	})
}
