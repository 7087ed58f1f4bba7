package main

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParsePortRange: any -p value is either rejected with one of mosh's
// explanations or yields a valid range; canonical numbers parse to
// themselves.
func FuzzParsePortRange(f *testing.F) {
	for _, s := range []string{"", "0", "60001", "60001:60999", "0:5", "5:", ":5", " +7", "-5", "5:x",
		"99999", "99999999999999999999", "1:2:3", "\t8", "65535:65535", "65536"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, detail := parsePortRange(s)
		if detail != "" {
			if lo != 0 || hi != 0 {
				t.Fatalf("parsePortRange(%q) = %d, %d, %q", s, lo, hi, detail)
			}
			return
		}
		if lo < 0 || hi > 65535 || lo > hi || (lo != hi && lo == 0) {
			t.Fatalf("parsePortRange(%q) accepted bad range %d:%d", s, lo, hi)
		}
		// A canonical spelling of the result parses to the same range.
		canon := strconv.Itoa(lo)
		if strings.Contains(s, ":") {
			canon += ":" + strconv.Itoa(hi)
		}
		if lo2, hi2, d2 := parsePortRange(canon); d2 != "" || lo2 != lo || hi2 != hi {
			t.Fatalf("parsePortRange(%q) = %d:%d but %q gives %d:%d %q", s, lo, hi, canon, lo2, hi2, d2)
		}
	})
}
