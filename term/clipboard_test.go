package term

import (
	"encoding/base64"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// OSC 52 queries from the remote side never reach the user's terminal,
// whichever terminator ends them; writes of base64 do.
func TestOSC52QueryNeverForwarded(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		kept     bool
	}{
		{"query BEL", "\x1b]52;c;?\a", false},
		{"query ST", "\x1b]52;c;?\x1b\\", false},
		{"query C1 ST", "\x1b]52;c;?\u009c", false},
		{"query with data", "\x1b]52;c;?aGk=\a", false},
		{"not base64", "\x1b]52;c;hello world\a", false},
		{"non-ASCII", "\x1b]52;c;aGk\u00e9\a", false},
		{"bad padding", "\x1b]52;c;aGk=a\a", false},
		{"one char too many", "\x1b]52;c;aGkaG\a", false},
		{"write BEL", "\x1b]52;c;aGk=\a", true},
		{"write ST", "\x1b]52;c;aGVsbG8=\x1b\\", true},
		{"write unpadded", "\x1b]52;c;aGVsbG8\a", true},
		{"clear", "\x1b]52;c;\a", true},
	} {
		em := NewEmulator(20, 3)
		_, _ = em.Write([]byte("\x1b]52;c;b2xk\a")) // a write before
		a := em.Framebuffer().Clone()
		_, _ = em.Write([]byte(tc.in))
		b := em.Framebuffer()
		out := string(Display{}.NewFrame(true, a, b))
		switch {
		case tc.kept && !strings.Contains(out, "\x1b]52;c;"):
			t.Errorf("%s: write not forwarded: %q", tc.name, out)
		case !tc.kept && strings.Contains(out, "52;"):
			t.Errorf("%s: forwarded to the terminal: %q", tc.name, out)
		case !tc.kept && b.Clipboard() != "b2xk":
			t.Errorf("%s: clipboard became %q", tc.name, b.Clipboard())
		}
		// The first frame a client draws carries no query either.
		if first := string(Display{}.NewFrame(false, NewFramebuffer(20, 3), b)); strings.Contains(first, "52;c;?") {
			t.Errorf("%s: first frame %q", tc.name, first)
		}
	}
}

// The display refuses a non-base64 clipboard even if one got into a
// framebuffer some other way.
func TestDisplayChecksClipboard(t *testing.T) {
	a, b := NewFramebuffer(10, 2), NewFramebuffer(10, 2)
	b.clipboard = "?"
	if out := (Display{}).NewFrame(true, a, b); strings.Contains(string(out), "52") {
		t.Fatalf("display sent %q", out)
	}
}

// validClipboard accepts exactly what the standard base64 decoders accept,
// padded or not (no line breaks: the parser drops controls in an OSC).
func TestValidClipboardIsBase64(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringMatching(`[A-Da-x0-2+/=?]{0,10}`).Draw(t, "s")
		_, e1 := base64.StdEncoding.DecodeString(s)
		_, e2 := base64.RawStdEncoding.DecodeString(s)
		if want := e1 == nil || e2 == nil; validClipboard([]byte(s)) != want || validClipboard([]rune(s)) != want {
			t.Fatalf("validClipboard(%q) = %v, decoders say %v", s, !want, want)
		}
	})
}
