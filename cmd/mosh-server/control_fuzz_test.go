package main

import (
	"testing"
)

// FuzzParseRequest: any line either names one request or is refused, and
// the three requests are recognised with or without a line end.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"info\n", "takeover\n", "kill\r\n", "", "infox\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		k, err := parseRequest(line)
		if err != nil {
			return
		}
		want := map[string]bool{reqInfo: true, reqTakeover: true, reqKill: true}
		trimmed := line
		for len(trimmed) > 0 && (trimmed[len(trimmed)-1] == '\n' || trimmed[len(trimmed)-1] == '\r') {
			trimmed = trimmed[:len(trimmed)-1]
		}
		if !want[trimmed] {
			t.Fatalf("%q accepted as request %d", line, k)
		}
	})
}

// FuzzParseSessionLine: a decoded description always formats to one
// line whose first word is its ID.
func FuzzParseSessionLine(f *testing.F) {
	f.Add([]byte(`{"id":12,"attached":true,"started":"2026-12-06T17:36:36Z","last_contact":"0001-01-01T00:00:00Z","width":80,"height":24,"command":"-bash"}`))
	f.Add([]byte(`{"id":-1}`))
	f.Add([]byte(`{"id":3,"command":"a\nb\tc"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSessionLine(b)
		if err != nil {
			return
		}
		l := formatSession(s)
		for _, r := range l {
			if r == '\n' || r == '\r' {
				t.Fatalf("line break in %q", l)
			}
		}
		if n := len(splitTabs(l)); n != 6 {
			t.Fatalf("%d columns in %q", n, l)
		}
	})
}

func splitTabs(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\t' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
