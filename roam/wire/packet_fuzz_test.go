package wire

import (
	"bytes"
	"testing"
)

// FuzzParsePacket: any authenticated plaintext either is too short for its
// timestamps or splits into timestamps and a payload that marshal back to
// the same bytes.
func FuzzParsePacket(f *testing.F) {
	f.Add(unhex(f, "1234ffff68656c6c6f")) // docs/PROTOCOL.md, Test vectors, V1 plaintext
	f.Add(unhex(f, "0000ffff00000000000000018000789ce360126090605460d06030e2e0629362d1083090b0620000105301de"))
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePacket(b)
		if err != nil {
			if len(b) >= PacketHeaderLen {
				t.Fatalf("refused %d bytes: %v", len(b), err)
			}
			return
		}
		if again := p.AppendMarshal(nil); !bytes.Equal(again, b) {
			t.Fatalf("AppendMarshal(ParsePacket(%x)) = %x", b, again)
		}
	})
}

// FuzzParseKey: MOSH_KEY and the key on a MOSH CONNECT line. Only the
// canonical 22-character spelling of a 16-byte key is accepted, and every
// key's spelling is accepted.
func FuzzParseKey(f *testing.F) {
	f.Add("AAECAwQFBgcICQoLDA0ODw", []byte{})
	f.Add("4NeCCgvZFe2RnPgrcU1PQw", []byte("0123456789abcdef"))
	f.Add("AAECAwQFBgcICQoLDA0ODx", []byte{0xff}) // low bits of the last character set
	f.Add("AAECAwQFBgcICQoLDA0ODw==", []byte{1})  // padded
	f.Add("AAECAwQFBgcICQoLDA0O\r\n", []byte{2})
	f.Add("AAECAwQFBgcICQoLDA0OD-", []byte{3})
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		k, err := ParseKey(s)
		if err == nil && k.String() != s {
			t.Fatalf("ParseKey(%q) accepted a key that prints as %q", s, k.String())
		}
		if err != nil && err != ErrBadKey {
			t.Fatalf("ParseKey(%q): %v, want ErrBadKey", s, err)
		}
		var want Key
		copy(want[:], raw)
		if got, err := ParseKey(want.String()); err != nil || got != want {
			t.Fatalf("ParseKey(%q) = %x, %v; want %x", want.String(), got, err, want)
		}
	})
}
