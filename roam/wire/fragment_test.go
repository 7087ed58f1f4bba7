package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

func TestFragmentDataSize(t *testing.T) {
	for _, c := range []struct{ mtu, want int }{{MTUv4, 1214}, {MTUv6, 1178}, {MTUFallback, 462}} {
		if got := FragmentDataSize(c.mtu); got != c.want {
			t.Errorf("FragmentDataSize(%d) = %d, want %d", c.mtu, got, c.want)
		}
	}
}

func TestFragmentHeader(t *testing.T) {
	f := Fragment{ID: 0x0102030405060708, Num: 0x7FFF, Final: true, Data: []byte("x")}
	b := f.AppendMarshal(nil)
	if want := unhex(t, "0102030405060708ffff78"); !bytes.Equal(b, want) {
		t.Fatalf("got %x, want %x", b, want)
	}
	g, err := ParseFragment(b)
	if err != nil || g.ID != f.ID || g.Num != f.Num || !g.Final || string(g.Data) != "x" {
		t.Fatalf("ParseFragment = %+v, %v", g, err)
	}
	g, err = ParseFragment(unhex(t, "00000000000000010003"))
	if err != nil || g.ID != 1 || g.Num != 3 || g.Final || len(g.Data) != 0 {
		t.Fatalf("ParseFragment = %+v, %v", g, err)
	}
	for n := range FragmentHeaderLen {
		if _, err := ParseFragment(b[:n]); !errors.Is(err, ErrShortFragment) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}

func TestFragmenterIDs(t *testing.T) {
	var fr Fragmenter
	in := &Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: 1, Diff: []byte("d"), Chaff: []byte{1}}
	id := func(in *Instruction, mtu int) uint64 {
		t.Helper()
		f, err := fr.Fragments(in, mtu)
		if err != nil {
			t.Fatal(err)
		}
		return f[0].ID
	}
	if got := id(in, MTUv4); got != 1 {
		t.Fatalf("first id %d, want 1", got)
	}
	if got := id(in, MTUv4); got != 1 {
		t.Fatalf("retransmission got id %d, want 1", got)
	}
	steps := []func(*Instruction){
		func(in *Instruction) { in.OldNum++ },
		func(in *Instruction) { in.NewNum++ },
		func(in *Instruction) { in.AckNum++ },
		func(in *Instruction) { in.ThrowawayNum++ },
		func(in *Instruction) { in.Chaff = []byte{2} },
		func(in *Instruction) { in.Chaff = nil },
		func(in *Instruction) { in.ProtocolVersion++ },
	}
	want := uint64(1)
	for i, step := range steps {
		step(in)
		want++
		if got := id(in, MTUv4); got != want {
			t.Fatalf("step %d: id %d, want %d", i, got, want)
		}
	}
	want++
	if got := id(in, MTUv6); got != want {
		t.Fatalf("mtu change: id %d, want %d", got, want)
	}
	// Only the diff differs: mosh keeps the id (its sender never does this).
	in.Diff = []byte("other")
	if got := id(in, MTUv6); got != want {
		t.Fatalf("diff change: id %d, want %d", got, want)
	}
	// The caller may reuse the chaff buffer it handed in.
	chaff := []byte{7, 7}
	in.Chaff = chaff
	want++
	if got := id(in, MTUv6); got != want {
		t.Fatalf("id %d, want %d", got, want)
	}
	chaff[0] = 8
	want++
	if got := id(in, MTUv6); got != want {
		t.Fatalf("reused chaff buffer: id %d, want %d", got, want)
	}
}

func TestFragmenterLimits(t *testing.T) {
	var fr Fragmenter
	in := &Instruction{ProtocolVersion: 2, NewNum: 1}
	if _, err := fr.Fragments(in, 38); err == nil {
		t.Fatal("mtu 38 accepted")
	}
	f, err := fr.Fragments(in, 39)
	if err != nil || f[0].ID != 1 {
		t.Fatalf("mtu 39: %v", err)
	}
	for _, g := range f {
		if len(g.Data) != 1 {
			t.Fatalf("mtu 39 gives %d data bytes", len(g.Data))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 40000)
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	in2 := &Instruction{ProtocolVersion: 2, NewNum: 2, Diff: big}
	if _, err := fr.Fragments(in2, 39); err == nil {
		t.Fatal("more than 32767 fragments accepted")
	}
	// A refused instruction does not consume an id.
	f, err = fr.Fragments(in2, MTUv4)
	if err != nil || f[0].ID != 2 {
		t.Fatalf("after refusal: %+v, %v", f, err)
	}
	var total int
	for i, g := range f {
		if int(g.Num) != i || g.Final != (i == len(f)-1) || len(g.Data) > FragmentDataSize(MTUv4) || len(g.Data) == 0 {
			t.Fatalf("fragment %d: num %d final %v len %d", i, g.Num, g.Final, len(g.Data))
		}
		if i < len(f)-1 && len(g.Data) != FragmentDataSize(MTUv4) {
			t.Fatalf("fragment %d not full", i)
		}
		total += len(g.Data)
		if n := len(g.AppendMarshal(nil)) + PacketHeaderLen + SealOverhead; n > MTUv4 {
			t.Fatalf("datagram of %d bytes exceeds the mtu", n)
		}
	}
}

// assemblyModel is mosh's FragmentAssembly reduced to what consistent
// fragments can exercise: one id at a time, a set of numbers, a total.
type assemblyModel struct {
	have  bool
	id    uint64
	seen  map[uint16]bool
	total int
}

func (m *assemblyModel) add(f Fragment) bool {
	if !m.have || f.ID != m.id {
		*m = assemblyModel{have: true, id: f.ID, seen: map[uint16]bool{}, total: -1}
	}
	m.seen[f.Num] = true
	if f.Final {
		m.total = int(f.Num) + 1
	}
	if m.total == len(m.seen) {
		m.seen = map[uint16]bool{}
		m.total = -1
		return true
	}
	return false
}

// TestAssemblerProperty delivers the fragments of a few instructions with
// loss, duplication, reordering and interleaving, then all fragments of one
// of them together, and checks every step against the model.
func TestAssemblerProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var fr Fragmenter
		n := rapid.IntRange(1, 3).Draw(t, "instructions")
		ins := make(map[uint64]*Instruction)
		var pool []Fragment
		var groups [][]Fragment
		for i := range n {
			in := instructionGen().Draw(t, "in")
			in.NewNum = uint64(i) // distinct ids
			frags, err := fr.Fragments(in, rapid.IntRange(40, 1400).Draw(t, "mtu"))
			if err != nil {
				t.Fatal(err)
			}
			frags = cloneFragments(frags) // kept past the next call
			ins[frags[0].ID] = in
			pool = append(pool, frags...)
			groups = append(groups, frags)
		}
		schedule := rapid.SliceOfN(rapid.IntRange(0, len(pool)-1), 0, 200).Draw(t, "schedule")
		var deliveries []Fragment
		for _, i := range schedule {
			deliveries = append(deliveries, pool[i])
		}
		last := groups[rapid.IntRange(0, n-1).Draw(t, "complete")]
		perm := rapid.Permutation(last).Draw(t, "order")
		deliveries = append(deliveries, perm...)

		var a Assembler
		var m assemblyModel
		completed := false
		for step, f := range deliveries {
			// The assembler must not keep the caller's buffer.
			wire := f.AppendMarshal(nil)
			g, err := ParseFragment(wire)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.Add(g)
			clear(wire)
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			want := m.add(f)
			if want != (got != nil) {
				t.Fatalf("step %d (id %d #%d final %v): complete %v, model says %v", step, f.ID, f.Num, f.Final, got != nil, want)
			}
			if got != nil {
				if !equalInstruction(got, ins[f.ID]) {
					t.Fatalf("step %d: assembled %+v, want %+v", step, got, ins[f.ID])
				}
				completed = step >= len(deliveries)-len(perm)
			}
		}
		if !completed {
			t.Fatal("the complete final delivery did not assemble")
		}
	})
}

func TestAssemblerRepeatOfCompletedID(t *testing.T) {
	var fr Fragmenter
	var a Assembler
	in := &Instruction{ProtocolVersion: 2, NewNum: 1, Diff: bytes.Repeat([]byte("abcdefgh"), 100)}
	frags, err := fr.Fragments(in, 45)
	if err != nil || len(frags) < 3 {
		t.Fatalf("%d fragments, %v", len(frags), err)
	}
	for round := range 2 {
		for i, f := range frags {
			got, err := a.Add(f)
			if err != nil || (got != nil) != (i == len(frags)-1) {
				t.Fatalf("round %d fragment %d: %v, %v", round, i, got, err)
			}
		}
	}
}

// hostileCase feeds fragments; the last Add must fail with want.
func TestAssemblerHostile(t *testing.T) {
	zInstr := Compress((&Instruction{ProtocolVersion: 2, NewNum: 1}).AppendMarshal(nil))
	for _, c := range []struct {
		name  string
		frags []Fragment
		want  error
	}{
		{"conflicting duplicate", []Fragment{{ID: 1, Num: 0, Data: []byte("a")}, {ID: 1, Num: 0, Data: []byte("b")}}, ErrFragmentConflict},
		{"duplicate changes final", []Fragment{{ID: 1, Num: 1, Data: []byte("a")}, {ID: 1, Num: 1, Final: true, Data: []byte("a")}}, ErrFragmentConflict},
		{"final below seen", []Fragment{{ID: 1, Num: 5, Data: []byte("a")}, {ID: 1, Num: 2, Final: true, Data: []byte("b")}}, ErrFinalTooLow},
		{"beyond total", []Fragment{{ID: 1, Num: 2, Final: true, Data: []byte("a")}, {ID: 1, Num: 3, Data: []byte("b")}}, ErrFragmentBeyond},
		{"second larger final", []Fragment{{ID: 1, Num: 2, Final: true, Data: []byte("a")}, {ID: 1, Num: 4, Final: true, Data: []byte("b")}}, ErrFragmentBeyond},
		{"not zlib", []Fragment{{ID: 1, Num: 0, Final: true, Data: []byte("plain")}}, nil},
		{"not protobuf", []Fragment{{ID: 1, Num: 0, Final: true, Data: Compress([]byte{0xff, 0xff})}}, errMalformed},
		{"too large", bigFragments(), ErrTooLarge},
		{"number beyond 15 bits", []Fragment{{ID: 1, Num: 0x8000, Data: zInstr}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var a Assembler
			var err error
			for i, f := range c.frags {
				var got *Instruction
				got, err = a.Add(f)
				if got != nil {
					t.Fatalf("fragment %d assembled %+v", i, got)
				}
				if err != nil && i != len(c.frags)-1 {
					t.Fatalf("fragment %d: early error %v", i, err)
				}
			}
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			// The assembly was reset: a valid instruction under the same id
			// assembles from scratch.
			got, err := a.Add(Fragment{ID: 1, Num: 0, Final: true, Data: zInstr})
			if err != nil || got == nil || got.NewNum != 1 {
				t.Fatalf("after the error: %+v, %v", got, err)
			}
		})
	}
}

// bigFragments is more fragment data under one id than any instruction
// within MaxDecompressed can compress to.
func bigFragments() []Fragment {
	chunk := make([]byte, 1500)
	var fs []Fragment
	for i := 0; i*len(chunk) <= maxCompressed; i++ {
		fs = append(fs, Fragment{ID: 1, Num: uint16(i), Data: chunk})
	}
	return fs
}

func TestAssemblerOutOfOrderLayout(t *testing.T) {
	var fr Fragmenter
	in := &Instruction{ProtocolVersion: 2, NewNum: 9, Diff: []byte("0123456789abcdefghijklmnopqrstuvwxyz")}
	frags, err := fr.Fragments(in, 45)
	if err != nil || len(frags) < 4 {
		t.Fatalf("%d fragments, %v", len(frags), err)
	}
	var a Assembler
	for i := len(frags) - 1; i >= 0; i-- {
		got, err := a.Add(frags[i])
		if err != nil || (got != nil) != (i == 0) {
			t.Fatalf("fragment %d: %v %v", i, got, err)
		}
		if got != nil && !equalInstruction(got, in) {
			t.Fatalf("got %+v", got)
		}
	}
}

// TestFragmenterStoresSmallInstructions: a keystroke-sized instruction goes
// out as a stored zlib stream (deflate block type 00) and a large one is
// compressed; both inflate back to the instruction.
func TestFragmenterStoresSmallInstructions(t *testing.T) {
	for _, c := range []struct {
		name   string
		diff   []byte
		stored bool
	}{
		{"keystroke", []byte("\x0a\x03\x0a\x01x"), true},
		{"just below", bytes.Repeat([]byte{'a'}, storeBelow-20), true},
		{"screenful", bytes.Repeat([]byte("\x1b[0;1mroot@host\x1b[0m:~$ ls\r\n"), 80), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fr Fragmenter
			in := &Instruction{ProtocolVersion: 2, OldNum: 1, NewNum: 2, AckNum: 7, Diff: c.diff}
			frags, err := fr.Fragments(in, MTUv4)
			if err != nil {
				t.Fatal(err)
			}
			var z []byte
			for _, f := range frags {
				z = append(z, f.Data...)
			}
			raw := in.AppendMarshal(nil)
			// After the 2-byte zlib header, the first deflate block's
			// header holds BFINAL in bit 0 and BTYPE in bits 1-2.
			if stored := z[2]>>1&3 == 0; stored != c.stored || (len(raw) < storeBelow) != c.stored {
				t.Errorf("%d bytes: stored %v, want %v", len(raw), stored, c.stored)
			}
			if !c.stored && len(z) >= len(raw) {
				t.Errorf("compressed %d bytes to %d", len(raw), len(z))
			}
			got, err := Decompress(z)
			if err != nil || !bytes.Equal(got, raw) {
				t.Errorf("inflates to %x, %v; want %x", got, err, raw)
			}
		})
	}
}

// cloneFragments copies fragments to keep past the Fragmenter's next call,
// which reuses their storage.
func cloneFragments(frags []Fragment) []Fragment {
	c := make([]Fragment, len(frags))
	for i, f := range frags {
		f.Data = bytes.Clone(f.Data)
		c[i] = f
	}
	return c
}
