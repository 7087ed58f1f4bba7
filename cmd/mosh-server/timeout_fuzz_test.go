package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseTimeout: MOSH_SERVER_NETWORK_TMOUT / MOSH_SERVER_SIGNAL_TMOUT.
// A bad or negative value is ignored with a warning (0 = no timeout); a
// valid one is never shorter than asked, however large: mosh multiplies
// into 64 bits unsigned milliseconds, where a huge value means "never".
func FuzzParseTimeout(f *testing.F) {
	for _, v := range []string{"", "60", "0", "-5", " 7", "7 ", "x", "+3", "9223372036", "9223372037", "18446744074", "9223372036854775807",
		"99999999999999999999", "0x10"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.ContainsRune(v, 0) {
			return // not an environment value
		}
		const name = "MOSH_SERVER_NETWORK_TMOUT"
		t.Setenv(name, v)
		var stderr bytes.Buffer
		d := parseTimeout(name, &stderr)
		if d < 0 {
			t.Fatalf("%s=%q gives %v", name, v, d)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 || strings.TrimSpace(v) != strconv.FormatInt(n, 10) {
			return
		}
		if stderr.Len() != 0 {
			t.Fatalf("%s=%q warned %q", name, v, stderr.String())
		}
		if n <= math.MaxInt64/int64(time.Second) {
			if d != time.Duration(n)*time.Second {
				t.Fatalf("%s=%q gives %v", name, v, d)
			}
		} else if d < 100*365*24*time.Hour {
			t.Fatalf("%s=%q gives only %v", name, v, d)
		}
	})
}
