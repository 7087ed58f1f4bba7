package main

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParsePortRange: --port. An accepted range is valid for mosh-server's
// -p and its canonical spelling parses to the same range.
func FuzzParsePortRange(f *testing.F) {
	for _, s := range []string{"60001", "60001:60999", "0", "0:5", "5:", ":5", "+7", "-5", "65536", "1:2:3", "99999999999999999999", "60999:60001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, err := ParsePortRange(s)
		if err != nil {
			if lo != 0 || hi != 0 {
				t.Fatalf("ParsePortRange(%q) failed (%v) but returned %d:%d", s, err, lo, hi)
			}
			return
		}
		if lo < 0 || hi > 65535 || lo > hi || (lo == 0 && hi != 0) {
			t.Fatalf("ParsePortRange(%q) accepted %d:%d", s, lo, hi)
		}
		canon := strconv.Itoa(lo)
		if strings.Contains(s, ":") {
			canon += ":" + strconv.Itoa(hi)
		}
		if lo2, hi2, err := ParsePortRange(canon); err != nil || lo2 != lo || hi2 != hi {
			t.Fatalf("ParsePortRange(%q) = %d:%d but %q gives %d:%d, %v", s, lo, hi, canon, lo2, hi2, err)
		}
	})
}
