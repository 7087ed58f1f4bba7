package wire

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"testing"

	"github.com/ProtonMail/go-crypto/ocb"
	"pgregory.net/rapid"
)

// rfc7253Vectors is RFC 7253 Appendix A, AES-128, 96-bit nonces, 128-bit
// tag, key 000102…0F: nonce, associated data, plaintext, ciphertext ‖ tag.
var rfc7253Vectors = []struct{ nonce, ad, plaintext, ciphertext string }{
	{"BBAA99887766554433221100", "", "", "785407BFFFC8AD9EDCC5520AC9111EE6"},
	{"BBAA99887766554433221101", "0001020304050607", "0001020304050607", "6820B3657B6F615A5725BDA0D3B4EB3A257C9AF1F8F03009"},
	{"BBAA99887766554433221102", "0001020304050607", "", "81017F8203F081277152FADE694A0A00"},
	{"BBAA99887766554433221103", "", "0001020304050607", "45DD69F8F5AAE72414054CD1F35D82760B2CD00D2F99BFA9"},
	{"BBAA99887766554433221104", "000102030405060708090A0B0C0D0E0F", "000102030405060708090A0B0C0D0E0F",
		"571D535B60B277188BE5147170A9A22C3AD7A4FF3835B8C5701C1CCEC8FC3358"},
	{"BBAA99887766554433221105", "000102030405060708090A0B0C0D0E0F", "", "8CF761B6902EF764462AD86498CA6B97"},
	{"BBAA99887766554433221106", "", "000102030405060708090A0B0C0D0E0F", "5CE88EC2E0692706A915C00AEB8B2396F40E1C743F52436BDF06D8FA1ECA343D"},
	{"BBAA99887766554433221107", "000102030405060708090A0B0C0D0E0F1011121314151617", "000102030405060708090A0B0C0D0E0F1011121314151617",
		"1CA2207308C87C010756104D8840CE1952F09673A448A122C92C62241051F57356D7F3C90BB0E07F"},
	{"BBAA99887766554433221108", "000102030405060708090A0B0C0D0E0F1011121314151617", "", "6DC225A071FC1B9F7C69F93B0F1E10DE"},
	{"BBAA99887766554433221109", "", "000102030405060708090A0B0C0D0E0F1011121314151617",
		"221BD0DE7FA6FE993ECCD769460A0AF2D6CDED0C395B1C3CE725F32494B9F914D85C0B1EB38357FF"},
	{"BBAA9988776655443322110A", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
		"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
		"BD6F6C496201C69296C11EFD138A467ABD3C707924B964DEAFFC40319AF5A48540FBBA186C5553C68AD9F592A79A4240"},
	{"BBAA9988776655443322110B", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "", "FE80690BEE8A485D11F32965BC9D2A32"},
	{"BBAA9988776655443322110C", "", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
		"2942BFC773BDA23CABC6ACFD9BFD5835BD300F0973792EF46040C53F1432BCDFB5E1DDE3BC18A5F840B52E653444D5DF"},
	{"BBAA9988776655443322110D", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627",
		"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627",
		"D5CA91748410C1751FF8A2F618255B68A0A12E093FF454606E59F9C1D0DDC54B65E8628E568BAD7AED07BA06A4A69483A7035490C5769E60"},
	{"BBAA9988776655443322110E", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627", "",
		"C5CD9D1850C141E358649994EE701B68"},
	{"BBAA9988776655443322110F", "", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627",
		"4412923493C57D5DE0D700F753CCE0D1D2D95060122E9F15A5DDBFC5787E50B5CC55EE507BCB084E479AD363AC366B95A98CA5F3000B1479"},
}

func newTestOCB(tb testing.TB, key []byte) *ocb3 {
	tb.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		tb.Fatal(err)
	}
	o, err := newOCB3(block)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

func TestRFC7253Vectors(t *testing.T) {
	k := vectorKey()
	o := newTestOCB(t, k[:])
	for _, v := range rfc7253Vectors {
		nonce, ad, pt, want := unhex(t, v.nonce), unhex(t, v.ad), unhex(t, v.plaintext), unhex(t, v.ciphertext)
		if got := o.Seal(nil, nonce, pt, ad); !bytes.Equal(got, want) {
			t.Errorf("nonce %s: Seal = %X, want %X", v.nonce, got, want)
		}
		got, err := o.Open(nil, nonce, want, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("nonce %s: Open = %X, %v", v.nonce, got, err)
		}
		if len(ad) > 0 {
			if _, err := o.Open(nil, nonce, want, nil); err == nil {
				t.Errorf("nonce %s: Open without the associated data succeeded", v.nonce)
			}
		}
	}
}

// TestRFC7253Iterated is the RFC 7253 Appendix A algorithm over 128 message
// lengths for AES-128 with a 128-bit tag.
func TestRFC7253Iterated(t *testing.T) {
	key := make([]byte, 16)
	key[15] = 128 // num2str(TAGLEN, 8)
	o := newTestOCB(t, key)
	nonce := func(n uint32) []byte {
		b := make([]byte, 12)
		binary.BigEndian.PutUint32(b[8:], n)
		return b
	}
	var c []byte
	for i := range uint32(128) {
		s := make([]byte, i)
		c = o.Seal(c, nonce(3*i+1), s, s)
		c = o.Seal(c, nonce(3*i+2), s, nil)
		c = o.Seal(c, nonce(3*i+3), nil, s)
	}
	got := o.Seal(nil, nonce(385), nil, c)
	if want := unhex(t, "67E944D23256C5E0B6C61FA22FDF1EA2"); !bytes.Equal(got, want) {
		t.Fatalf("got %X, want %X", got, want)
	}
}

// TestOCBMatchesProtonMail compares with github.com/ProtonMail/go-crypto/ocb
// on random keys, nonces, lengths, and in-place use.
func TestOCBMatchesProtonMail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "key")
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := ocb.NewOCBWithNonceAndTagSize(block, 12, 16)
		if err != nil {
			t.Fatal(err)
		}
		o, err := newOCB3(block)
		if err != nil {
			t.Fatal(err)
		}
		for range rapid.IntRange(1, 4).Draw(t, "messages") {
			nonce := rapid.SliceOfN(rapid.Byte(), 12, 12).Draw(t, "nonce")
			pt := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "pt")
			ad := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "ad")
			want := ref.Seal(nil, nonce, pt, ad)
			got := o.Seal([]byte("prefix"), nonce, pt, ad)
			if !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
				t.Fatalf("Seal = %X, want %X", got, want)
			}
			inPlace := append([]byte(nil), pt...)
			inPlace = o.Seal(inPlace[:0], nonce, inPlace, ad)
			if !bytes.Equal(inPlace, want) {
				t.Fatalf("in-place Seal = %X, want %X", inPlace, want)
			}
			back, err := o.Open(inPlace[:0], nonce, inPlace, ad)
			if err != nil || !bytes.Equal(back, pt) {
				t.Fatalf("in-place Open = %X, %v", back, err)
			}
			bad := append([]byte(nil), want...)
			bad[rapid.IntRange(0, len(bad)-1).Draw(t, "flip")] ^= 1 << rapid.IntRange(0, 7).Draw(t, "bit")
			out := make([]byte, 0, len(bad))
			if _, err := o.Open(out, nonce, bad, ad); err == nil {
				t.Fatal("tampered message opened")
			}
			if bytes.Count(out[:cap(out)][:len(bad)-TagLen], []byte{0}) != len(bad)-TagLen {
				t.Fatal("failed Open left plaintext in dst")
			}
		}
	})
}

func TestOCBShortCiphertext(t *testing.T) {
	o := newTestOCB(t, make([]byte, 16))
	for n := range TagLen {
		if _, err := o.Open(nil, make([]byte, 12), make([]byte, n), nil); err == nil {
			t.Fatalf("%d bytes opened", n)
		}
	}
}
