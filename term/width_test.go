package term

import (
	"testing"

	"github.com/ssh-mosh/ssh-mosh/term/internal/glibc"
)

// TestWidthMatchesGlibc compares every code point with this machine's
// glibc: the generated table must have zero mismatches.
func TestWidthMatchesGlibc(t *testing.T) {
	mustHaveGlibc(t)
	want := glibc.Wcwidths(0, 0x110000)
	bad := 0
	for r, w := range want {
		if got := Width(rune(r)); got != int(w) {
			if bad < 20 {
				t.Errorf("Width(%U) = %d, glibc wcwidth = %d", r, got, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d mismatches with glibc", bad)
	}
}

func TestWidthKnownValues(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want int
	}{
		{'a', 1}, {0, 0}, {0x07, -1}, {0x7f, -1}, {0x9b, -1}, {0xe9, 1},
		{0x0301, 0}, {0x200b, 0}, {0x4e00, 2}, {0xff21, 2}, {0x1f600, 2},
		{0xd800, -1}, {-1, -1}, {0x110000, -1},
	} {
		if got := Width(tc.r); got != tc.want {
			t.Errorf("Width(%U) = %d, want %d", tc.r, got, tc.want)
		}
	}
}

// TestCharWidthISO88591 checks mosh's shortcut: printable ISO 8859-1 is one
// column whatever wcwidth says (the soft hyphen U+00AD included).
func TestCharWidthISO88591(t *testing.T) {
	for r := rune(0); r < 0x100; r++ {
		want := Width(r)
		if (r >= 0x20 && r <= 0x7e) || r >= 0xa0 {
			want = 1
		}
		if r == 0 {
			want = -1
		}
		if got := charWidth(r); got != want {
			t.Errorf("charWidth(%U) = %d, want %d", r, got, want)
		}
	}
}

func BenchmarkWidth(b *testing.B) {
	var sum int
	for i := 0; b.Loop(); i++ {
		sum += Width(rune(i & 0xffff))
	}
	_ = sum
}
