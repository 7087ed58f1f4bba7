package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"io"
	"testing"

	"pgregory.net/rapid"
)

// zlibInflate is the reference: compress/zlib, read to the end.
func zlibInflate(b []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// TestAppendStoredReadByZlib: what appendStored writes, compress/zlib reads
// back, for sizes around the 65535-byte block limit, and it is what zlib
// itself writes at level 0 for a short input (the header bytes included).
func TestAppendStoredReadByZlib(t *testing.T) {
	for _, n := range []int{0, 1, 127, maxStoredBlock - 1, maxStoredBlock, maxStoredBlock + 1, 3*maxStoredBlock + 7} {
		b := bytes.Repeat([]byte("abc\x00\xff"), n/5+1)[:n]
		z := appendStored(nil, b)
		got, err := zlibInflate(z)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%d bytes: zlib read %d bytes, %v", n, len(got), err)
		}
		fast, ok := parseStored(z)
		if !ok || !bytes.Equal(fast, b) {
			t.Fatalf("%d bytes: parseStored %d bytes, ok %v", n, len(fast), ok)
		}
	}
	// zlib's compress2(level 0) of "hi": header, one final stored block,
	// Adler-32.
	want, _ := hex.DecodeString("7801" + "01" + "0200fdff" + "6869" + "013b00d2")
	if got := appendStored(nil, []byte("hi")); !bytes.Equal(got, want) {
		t.Fatalf("appendStored(hi) = %x, want %x", got, want)
	}
}

// TestParseStoredDeclines: streams parseStored must leave to compress/zlib,
// which decides (and so answers exactly as before).
func TestParseStoredDeclines(t *testing.T) {
	good := appendStored(nil, []byte("hello"))
	cases := map[string][]byte{
		"empty":            nil,
		"compressed":       Compress(bytes.Repeat([]byte("x"), 300)),
		"bad checksum":     append(good[:len(good)-1:len(good)-1], good[len(good)-1]^1),
		"truncated":        good[:len(good)-2],
		"trailing byte":    append(append([]byte(nil), good...), 0),
		"preset dict":      append([]byte{0x78, 0xbb}, good[2:]...),
		"bad header check": append([]byte{0x78, 0x02}, good[2:]...),
		"bad length":       append(append([]byte(nil), good[:3]...), append([]byte{0xff}, good[4:]...)...),
		"not final, ends":  append(append([]byte{0x78, 0x01, 0}, good[3:len(good)-4]...), good[len(good)-4:]...),
	}
	for name, b := range cases {
		if out, ok := parseStored(b); ok {
			t.Errorf("%s: accepted, %q", name, out)
		}
	}
}

// TestStoredRoundTripProperty: for any bytes, the stored stream reads back
// as them through both inflaters.
func TestStoredRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "b")
		z := appendStored(nil, b)
		fast, ok := parseStored(z)
		ref, err := zlibInflate(z)
		if !ok || err != nil || !bytes.Equal(fast, b) || !bytes.Equal(ref, b) {
			t.Fatalf("ok %v, err %v", ok, err)
		}
	})
}

// FuzzParseStored is differential: whatever parseStored accepts,
// compress/zlib accepts with the same bytes; what it declines goes to
// compress/zlib, so declining is always safe.
func FuzzParseStored(f *testing.F) {
	f.Add(appendStored(nil, nil))
	f.Add(appendStored(nil, []byte("hello")))
	f.Add(appendStored(nil, bytes.Repeat([]byte{7}, maxStoredBlock+3)))
	f.Add(Compress([]byte("hello hello hello")))
	f.Add([]byte{0x78, 0x01, 0x00, 0x01, 0x00, 0xfe, 0xff, 'a', 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x62, 0x00, 0x62})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, ok := parseStored(b)
		if !ok {
			return
		}
		ref, err := zlibInflate(b)
		if err != nil {
			t.Fatalf("parseStored accepted what zlib refuses (%v)", err)
		}
		if !bytes.Equal(out, ref) {
			t.Fatalf("parseStored %x, zlib %x", out, ref)
		}
	})
}
