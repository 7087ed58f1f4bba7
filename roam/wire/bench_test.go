package wire

import (
	"fmt"
	"testing"
)

func BenchmarkSeal(b *testing.B) {
	s, err := NewSession(vectorKey())
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100, 1200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			pt := make([]byte, n)
			dst := make([]byte, 0, MaxDatagram)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			var seq uint64
			for b.Loop() {
				dst = s.Seal(dst[:0], ToServer, seq, pt)
				seq++
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	s, err := NewSession(vectorKey())
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100, 1200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dg := s.Seal(nil, ToClient, 7, make([]byte, n))
			dst := make([]byte, 0, MaxDatagram)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				_, _, dst, err = s.Open(dst[:0], dg)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFragmentAssemble is one instruction through Fragmenter and
// Assembler: a keystroke-sized diff and a screenful.
func BenchmarkFragmentAssemble(b *testing.B) {
	for _, n := range []int{16, 8000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			diff := make([]byte, n)
			for i := range diff {
				diff[i] = "abcdefghij \x1b[m0123456789\r\n"[i*7%26]
			}
			in := &Instruction{ProtocolVersion: 2, OldNum: 1, Diff: diff}
			var fr Fragmenter
			var a Assembler
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				in.NewNum++
				frags, err := fr.Fragments(in, MTUv4)
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range frags {
					if _, err := a.Add(f); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
