package datapath

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSkipRelayPreamble: whatever a remote shell prints before a relay
// starts (the fuzzer's preamble) and what follows. SkipRelayPreamble must
// find the first relayMagic when it ends within maxRelayPreamble bytes and
// hand back exactly the bytes after it; otherwise fail with
// errNoRelayMagic and a one-line message of bounded length.
func FuzzSkipRelayPreamble(f *testing.F) {
	f.Add([]byte("motd from .bashrc\n"), true, []byte{0, 1, 'x'})
	f.Add([]byte(""), true, []byte{})
	f.Add([]byte("sh: perl: not found\n"), false, []byte{})
	f.Add([]byte("\x00SSH-MOSH-RELAY-"), true, []byte("rest"))                      // a false start just before the magic
	f.Add([]byte(relayMagic[:len(relayMagic)-1]), false, []byte("\n\x00"))          // the magic split by the fuzzer's tail
	f.Add(bytes.Repeat([]byte("y\n"), maxRelayPreamble/2), true, []byte{0, 1, 'z'}) // magic just past the bound
	f.Add([]byte("\xff\xfe caf\xc3\xa9 \x1b[31m"), false, []byte("no magic at all"))
	f.Fuzz(func(t *testing.T, pre []byte, magic bool, rest []byte) {
		in := append([]byte(nil), pre...)
		if magic {
			in = append(in, relayMagic...)
		}
		in = append(in, rest...)
		r, err := SkipRelayPreamble(bytes.NewReader(in))
		at := bytes.Index(in, []byte(relayMagic))
		found := at >= 0 && at+len(relayMagic) <= maxRelayPreamble
		if err != nil {
			if !errors.Is(err, errNoRelayMagic) {
				t.Fatalf("error %v without ErrNoRelayMagic", err)
			}
			if found {
				t.Fatalf("the magic at %d was not found: %v", at, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 1200 || !utf8.ValidString(msg) {
				t.Fatalf("message is not one bounded line: %q", msg)
			}
			return
		}
		if !found {
			t.Fatalf("found a magic that is not within the bound (at %d)", at)
		}
		after, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(after, in[at+len(relayMagic):]) {
			t.Fatalf("after the magic: %q (%v), want %q", after, err, in[at+len(relayMagic):])
		}
	})
}
