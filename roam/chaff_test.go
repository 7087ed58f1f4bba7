package roam

import (
	"bytes"
	"testing"
)

// TestChaffVaries: chaff blurs the length of instructions, so its length
// must take most of the values 0..chaffMax, and its bytes must not follow
// a pattern (each byte of a draw is used, none left zero).
func TestChaffVaries(t *testing.T) {
	p := newPair(t, Config{})
	lengths := map[int]bool{}
	var all []byte
	for range 2000 {
		c := p.client.chaff()
		if len(c) > chaffMax {
			t.Fatalf("chaff of %d bytes", len(c))
		}
		lengths[len(c)] = true
		all = append(all, c...)
	}
	if len(lengths) < chaffMax { // 17 possible lengths; 2000 draws miss one with negligible odds
		t.Errorf("chaff took %d distinct lengths in 2000 draws, want at least %d", len(lengths), chaffMax)
	}
	counts := [256]int{}
	for _, b := range all {
		counts[b]++
	}
	// About 16 000 bytes: each value should appear about 63 times.
	for v, n := range counts {
		if n < 20 || n > 140 {
			t.Errorf("byte %#02x appeared %d times in %d bytes of chaff", v, n, len(all))
		}
	}
	if bytes.Count(all, []byte{0, 0, 0, 0}) > 5 {
		t.Error("runs of zero bytes in chaff")
	}
	// Neighbours repeat about once in 256; a draw's bytes spread wrongly
	// (one value eight times) would repeat most of the time.
	same := 0
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			same++
		}
	}
	if same > len(all)/64 {
		t.Errorf("%d of %d chaff bytes repeat their neighbour", same, len(all))
	}
}
