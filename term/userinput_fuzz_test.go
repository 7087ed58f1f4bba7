package term

import (
	"bytes"
	"testing"
)

// FuzzUserInput: the keystrokes a client sends reach the application
// through UserInput. However they are split into calls the result is the
// same; in application cursor-key mode nothing changes; otherwise the only
// change is ESC O A..D becoming ESC [ A..D, byte for byte.
func FuzzUserInput(f *testing.F) {
	f.Add([]byte("\x1bOA\x1bOB\x1bOC\x1bOD"), uint8(2), false)
	f.Add([]byte("\x1bOA\x1bOP"), uint8(2), true)
	f.Add([]byte("\x1b\x1bOA"), uint8(1), false)
	f.Add([]byte("ls -l\r\x1bO"), uint8(8), false)
	f.Add([]byte("\x1bO\x1bOD"), uint8(2), false)
	f.Add([]byte("\xe4\xb8\xad\x1b[A\x7f"), uint8(0), false)
	f.Fuzz(func(t *testing.T, keys []byte, split uint8, app bool) {
		var whole UserInput
		want := whole.Translate(nil, keys, app)
		cut := int(split) % (len(keys) + 1)
		var parts UserInput
		got := parts.Translate(nil, keys[:cut], app)
		got = parts.Translate(got, keys[cut:], app)
		if !bytes.Equal(got, want) || parts.Pending() != whole.Pending() {
			t.Fatalf("split at %d: %q (pending %v), whole %q (pending %v)", cut, got, parts.Pending(), want, whole.Pending())
		}

		fb := NewFramebuffer(80, 24)
		if app {
			_, _ = NewEmulatorFor(fb).Write([]byte("\x1b[?1h"))
		}
		out := TranslateKeys(fb, keys)
		if !bytes.Equal(out[:min(len(out), len(want))], want) || len(out) != len(keys) {
			t.Fatalf("TranslateKeys(%q) = %q; Translate gave %q", keys, out, want)
		}
		for i := range keys {
			if out[i] == keys[i] {
				continue
			}
			arrow := !app && keys[i] == 'O' && out[i] == '[' && i > 0 && keys[i-1] == 0x1b &&
				i+1 < len(keys) && keys[i+1] >= 'A' && keys[i+1] <= 'D'
			if !arrow {
				t.Fatalf("TranslateKeys(%q) = %q: byte %d changed", keys, out, i)
			}
		}
	})
}
