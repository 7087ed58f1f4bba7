package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseKeyEdges(t *testing.T) {
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := ParseKey(k.String()); err != nil || p != k {
		t.Fatalf("round trip of a fresh key: %v", err)
	}
	if a, _ := NewKey(); a == k {
		t.Fatal("two fresh keys are equal")
	}
	good := "AAECAwQFBgcICQoLDA0ODw"
	for _, bad := range []string{
		"",
		good[:21],                 // too short
		good + "A",                // too long
		good + "==",               // padded
		"AAECAwQFBgcICQoLDA0OD=",  // padding inside
		"AAECAwQFBgcICQoLDA0ODx",  // low bits of the last char set: non-canonical
		"AAECAwQFBgcICQoLDA0ODB",  // idem
		"AAECAwQFBgcICQoLDA0OD-",  // URL alphabet
		"AAECAwQFBgcICQoLDA0O_w",  // URL alphabet
		"AAECAwQFBgcICQoLDA0OD\n", // newline, which base64 decoders skip
		"AAECAwQFBgc\rICQoLDA0ODw",
		"AAECAwQFBgcICQoLDA0OD ",
		"AAECAwQFBgcICQoLDA0OD\x00",
		"AAECAwQFBgcICQoLDA0OD\xff",
	} {
		if _, err := ParseKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseKey(%q) = %v, want ErrBadKey", bad, err)
		}
		if _, err := ParseKey(bad); err != nil && strings.Contains(err.Error(), "AAEC") {
			t.Errorf("error leaks the key text: %v", err)
		}
	}
	// Every canonical last character is accepted: those with zero low bits.
	for _, c := range "AQgw" {
		s := good[:21] + string(c)
		if _, err := ParseKey(s); err != nil {
			t.Errorf("ParseKey(%q) = %v", s, err)
		}
	}
}

func TestTimestamp16(t *testing.T) {
	for _, c := range []struct {
		ms   int64
		want uint16
	}{{0, 0}, {1, 1}, {65534, 65534}, {65535, 0}, {65536, 0}, {65537, 1}, {3*65536 + 65535, 0}, {-1, 0}, {-2, 65534}} {
		if got := Timestamp16(c.ms); got != c.want {
			t.Errorf("Timestamp16(%d) = %d, want %d", c.ms, got, c.want)
		}
	}
}

func TestParsePacketShort(t *testing.T) {
	for n := 0; n < PacketHeaderLen; n++ {
		if _, err := ParsePacket(make([]byte, n)); !errors.Is(err, ErrShortPacket) {
			t.Errorf("ParsePacket(%d bytes) = %v", n, err)
		}
	}
	p, err := ParsePacket([]byte{1, 2, 3, 4})
	if err != nil || p.Timestamp != 0x0102 || p.TimestampReply != 0x0304 || len(p.Payload) != 0 {
		t.Fatalf("ParsePacket = %+v, %v", p, err)
	}
}

func TestOpenRejects(t *testing.T) {
	s, err := NewSession(vectorKey())
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewSession(Key{1})
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("\x00\x01\xff\xffsome fragment bytes here")
	dg := s.Seal(nil, ToClient, 42, plain)

	if _, _, _, err := other.Open(nil, dg); !errors.Is(err, ErrAuth) {
		t.Errorf("wrong key: %v", err)
	}
	for i := range dg {
		for bit := 0; bit < 8; bit++ {
			c := bytes.Clone(dg)
			c[i] ^= 1 << bit
			if _, _, _, err := s.Open(nil, c); !errors.Is(err, ErrAuth) {
				t.Fatalf("flipped bit %d of byte %d: %v", bit, i, err)
			}
		}
	}
	for n := range len(dg) {
		_, _, _, err := s.Open(nil, dg[:n])
		want := ErrAuth
		if n < SealOverhead {
			want = ErrTooShort
		}
		if !errors.Is(err, want) {
			t.Fatalf("truncated to %d: %v, want %v", n, err, want)
		}
	}
	if _, _, _, err := s.Open(nil, append(bytes.Clone(dg), 0)); !errors.Is(err, ErrAuth) {
		t.Errorf("extended: %v", err)
	}
	big := s.Seal(nil, ToServer, 1, make([]byte, MaxDatagram-SealOverhead+1))
	if _, _, _, err := s.Open(nil, big); !errors.Is(err, ErrTooLong) {
		t.Errorf("oversize: %v", err)
	}
	max := s.Seal(nil, ToServer, 1, make([]byte, MaxDatagram-SealOverhead))
	if _, _, pt, err := s.Open(nil, max); err != nil || len(pt) != MaxDatagram-SealOverhead {
		t.Errorf("largest datagram: %d, %v", len(pt), err)
	}

	dir, seq, pt, err := s.Open([]byte("prefix"), dg)
	if err != nil || dir != ToClient || seq != 42 || string(pt) != "prefix"+string(plain) {
		t.Fatalf("Open appends to dst: %v %d %q %v", dir, seq, pt, err)
	}
}

func TestSealSequenceLayout(t *testing.T) {
	s, err := NewSession(Key{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  Direction
		seq  uint64
		want string
	}{
		{ToServer, 0, "0000000000000000"},
		{ToServer, MaxSeq, "7fffffffffffffff"},
		{ToClient, 0, "8000000000000000"},
		{ToClient, 0x0102030405060708, "8102030405060708"},
		{ToServer, 1<<63 | 9, "0000000000000009"}, // top bit masked like mosh
	} {
		dg := s.Seal(nil, c.dir, c.seq, nil)
		if got := dg[:NonceTailLen]; !bytes.Equal(got, unhex(t, c.want)) {
			t.Errorf("Seal(%v, %#x) nonce tail %x, want %s", c.dir, c.seq, got, c.want)
		}
		if len(dg) != SealOverhead {
			t.Errorf("empty plaintext gives %d bytes", len(dg))
		}
		dir, seq, _, err := s.Open(nil, dg)
		if err != nil || dir != c.dir || seq != c.seq&MaxSeq {
			t.Errorf("Open = %v %#x %v", dir, seq, err)
		}
	}
}
