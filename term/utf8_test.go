package term

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/term/internal/glibc"
)

// decodeAll runs in through a fresh decoder the way Parser.Parse does.
func decodeAll(in []byte) []rune {
	var d utf8Decoder
	var out []rune
	for _, b := range in {
		if d.have == 0 && b < 0x80 {
			out = append(out, rune(b))
			continue
		}
		r1, r2, n := d.decode(b)
		if n > 0 {
			out = append(out, r1)
		}
		if n > 1 {
			out = append(out, r2)
		}
	}
	return out
}

func TestUTF8Vectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []rune
	}{
		{"a\u00e9\u4e00\U0001F600", []rune{'a', 0xe9, 0x4e00, 0x1f600}},
		{"\xe2\x82(", []rune{0xfffd, '('}},       // cut short by ASCII
		{"\xe0\x80\x80", []rune{0xfffd, 0xfffd}}, // overlong: rejected whole, last byte again
		{"\xed\xa0\x80", []rune{0xfffd, 0xfffd}}, // surrogate
		{"\xf4\x90\x80\x80", []rune{0xfffd}},     // above U+10FFFF: one replacement
		{"\xf8\x88\x80\x80\x80", []rune{0xfffd}}, // obsolete 5-byte form glibc accepts
		{"\xc0A", []rune{0xfffd, 'A'}},
		{"\x80\xbf", []rune{0xfffd, 0xfffd}},
		{"\xfe\xff", []rune{0xfffd, 0xfffd}},
		{"\xe2\xe2\x82\xac", []rune{0xfffd, 0x20ac}},
		{"\xe2\x82", nil}, // pending
		{"\xc2\x9b", []rune{0x9b}},
	} {
		if got := decodeAll([]byte(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("decode(%q) = %U, want %U", tc.in, got, tc.want)
		}
	}
}

// utf8Representatives covers every byte class glibc's decoder and mosh's
// loop distinguish, with both ends of each range.
var utf8Representatives = []byte{
	0x00, 0x1b, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
	0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
}

// TestUTF8MatchesMoshOnGlibc compares the decoder with mosh's decoding loop
// running on this machine's glibc mbrtowc: all 1- and 2-byte inputs, all
// 3- and 4-byte inputs over representatives of every byte class, and
// random longer streams.
func TestUTF8MatchesMoshOnGlibc(t *testing.T) {
	mustHaveGlibc(t)
	check := func(in []byte) bool {
		t.Helper()
		got, want := decodeAll(in), glibc.MoshDecode(in)
		if !slices.Equal(got, want) {
			t.Errorf("decode(% x) = %U, mosh on glibc = %U", in, got, want)
			return false
		}
		return true
	}
	for i := range 1 << 16 {
		if !check([]byte{byte(i >> 8), byte(i)}) {
			return
		}
	}
	reps := utf8Representatives
	maxLen := 4
	if testing.Short() {
		maxLen = 3
	}
	var rec func(prefix []byte) bool
	rec = func(prefix []byte) bool {
		if len(prefix) >= 3 && !check(prefix) {
			return false
		}
		if len(prefix) == maxLen {
			return true
		}
		for _, b := range reps {
			if !rec(append(prefix, b)) {
				return false
			}
		}
		return true
	}
	rec(nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		in := make([]byte, 1+rng.IntN(24))
		for i := range in {
			if rng.IntN(3) == 0 {
				in[i] = 0x80 | byte(rng.IntN(0x40)) // continuation bytes are the interesting ones
			} else {
				in[i] = reps[rng.IntN(len(reps))]
			}
		}
		if !check(in) {
			return
		}
	}
}

func FuzzUTF8(f *testing.F) {
	for _, s := range []string{"\xe0\x80\x80", "\xf4\x90\x80\x80", "a\xe2\x82\xac", "\xfc\x84\x80\x80\x80\x80"} {
		f.Add([]byte(s))
	}
	oracle := glibc.Available() == nil
	f.Fuzz(func(t *testing.T, in []byte) {
		got := decodeAll(in)
		for _, r := range got {
			if r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff) {
				t.Fatalf("decode(% x) produced invalid %U", in, r)
			}
		}
		if oracle {
			if want := glibc.MoshDecode(in); !slices.Equal(got, want) {
				t.Fatalf("decode(% x) = %U, mosh on glibc = %U", in, got, want)
			}
		}
	})
}
