//go:build !race

package wire

import "testing"

// TestSealOpenDoNotAllocate guards the zero-allocation datagram path (the
// race detector's instrumentation allocates, hence the build tag).
func TestSealOpenDoNotAllocate(t *testing.T) {
	s, err := NewSession(vectorKey())
	if err != nil {
		t.Fatal(err)
	}
	pt := make([]byte, 1200)
	buf := make([]byte, 0, MaxDatagram)
	out := make([]byte, 0, MaxDatagram)
	var seq uint64
	if n := testing.AllocsPerRun(100, func() {
		seq++
		buf = s.Seal(buf[:0], ToClient, seq, pt)
		_, _, out, err = s.Open(out[:0], buf)
		if err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per Seal+Open", n)
	}
}
