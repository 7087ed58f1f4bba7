package wire

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"math/bits"
)

// ocb3 is OCB3 (RFC 7253) over a 128-bit block cipher with a 96-bit nonce
// and a 128-bit tag, the parameters mosh uses. It implements cipher.AEAD
// without allocating: every intermediate block lives in the struct, which
// makes it unsafe for concurrent use (Session documents this).
//
// github.com/ProtonMail/go-crypto/ocb computes the same function but
// allocates several buffers per call; the tests check this implementation
// against it and against the RFC's vectors.
type ocb3 struct {
	block cipher.Block

	lStar, lDollar [16]byte
	l              [64][16]byte // L_i; ntz of a block index never reaches 64

	// Ktop depends on the nonce without its low 6 bits, so consecutive
	// sequence numbers share it (RFC 7253 §4.2 suggests the cache).
	topNonce [16]byte
	haveTop  bool
	stretch  [24]byte

	// Working blocks, kept here because the block cipher is called through
	// an interface: blocks on the stack would escape to the heap.
	offset, checksum, tmp, sum, htmp, top [16]byte
}

const ocbNonceSize = 12

var _ cipher.AEAD = (*ocb3)(nil)

func newOCB3(block cipher.Block) (*ocb3, error) {
	if block.BlockSize() != 16 {
		return nil, errors.New("wire: ocb needs a 128-bit block cipher")
	}
	o := &ocb3{block: block}
	block.Encrypt(o.lStar[:], o.lStar[:])
	double(&o.lDollar, &o.lStar)
	double(&o.l[0], &o.lDollar)
	for i := 1; i < len(o.l); i++ {
		double(&o.l[i], &o.l[i-1])
	}
	return o, nil
}

// double is multiplication by x in GF(2^128) as RFC 7253 §2 defines it.
func double(dst, s *[16]byte) {
	carry := s[0] >> 7
	for i := 0; i < 15; i++ {
		dst[i] = s[i]<<1 | s[i+1]>>7
	}
	dst[15] = s[15]<<1 ^ 0x87*carry
}

func xor16(dst, a, b []byte) { subtle.XORBytes(dst[:16], a[:16], b[:16]) }

func (o *ocb3) NonceSize() int { return ocbNonceSize }
func (o *ocb3) Overhead() int  { return TagLen }

// initOffset sets offset to Offset_0 for nonce (RFC 7253 §4.2).
func (o *ocb3) initOffset(nonce []byte) {
	if len(nonce) != ocbNonceSize {
		panic("wire: ocb nonce must be 12 bytes")
	}
	top := &o.top
	// num2str(TAGLEN mod 128, 7) = 0, then zeros and a 1 bit before N.
	*top = [16]byte{3: 1}
	copy(top[4:], nonce)
	bottom := uint(top[15] & 63)
	top[15] &^= 63
	if !o.haveTop || *top != o.topNonce {
		o.topNonce = *top
		o.haveTop = true
		o.block.Encrypt(o.stretch[:16], top[:])
		for i := 0; i < 8; i++ {
			o.stretch[16+i] = o.stretch[i] ^ o.stretch[i+1]
		}
	}
	// Offset_0 = Stretch[1+bottom .. 128+bottom] (bits).
	byteShift, bitShift := bottom/8, bottom%8
	for i := range 16 {
		b := o.stretch[i+int(byteShift)] << bitShift
		if bitShift != 0 {
			b |= o.stretch[i+int(byteShift)+1] >> (8 - bitShift)
		}
		o.offset[i] = b
	}
	clear(o.checksum[:])
}

// hash is HASH(K, A) of RFC 7253 §4.1, left in o.sum.
func (o *ocb3) hash(ad []byte) {
	clear(o.sum[:])
	if len(ad) == 0 {
		return
	}
	var off [16]byte
	i := 1
	for ; len(ad) >= 16; i++ {
		xor16(off[:], off[:], o.l[bits.TrailingZeros(uint(i))][:])
		xor16(o.htmp[:], ad, off[:])
		o.block.Encrypt(o.htmp[:], o.htmp[:])
		xor16(o.sum[:], o.sum[:], o.htmp[:])
		ad = ad[16:]
	}
	if len(ad) > 0 {
		xor16(off[:], off[:], o.lStar[:])
		clear(o.htmp[:])
		copy(o.htmp[:], ad)
		o.htmp[len(ad)] = 0x80
		xor16(o.htmp[:], o.htmp[:], off[:])
		o.block.Encrypt(o.htmp[:], o.htmp[:])
		xor16(o.sum[:], o.sum[:], o.htmp[:])
	}
}

// tag computes the tag into o.tmp from the checksum and offset so far.
func (o *ocb3) tag(ad []byte) {
	xor16(o.tmp[:], o.checksum[:], o.offset[:])
	xor16(o.tmp[:], o.tmp[:], o.lDollar[:])
	o.block.Encrypt(o.tmp[:], o.tmp[:])
	o.hash(ad)
	xor16(o.tmp[:], o.tmp[:], o.sum[:])
}

// Seal implements cipher.AEAD.
func (o *ocb3) Seal(dst, nonce, plaintext, ad []byte) []byte {
	ret, out := sliceForAppend(dst, len(plaintext)+TagLen)
	o.initOffset(nonce)
	p, c := plaintext, out
	for i := 1; len(p) >= 16; i++ {
		xor16(o.offset[:], o.offset[:], o.l[bits.TrailingZeros(uint(i))][:])
		xor16(o.checksum[:], o.checksum[:], p)
		xor16(o.tmp[:], p, o.offset[:])
		o.block.Encrypt(o.tmp[:], o.tmp[:])
		xor16(c, o.tmp[:], o.offset[:])
		p, c = p[16:], c[16:]
	}
	if len(p) > 0 {
		xor16(o.offset[:], o.offset[:], o.lStar[:])
		o.block.Encrypt(o.tmp[:], o.offset[:])
		subtle.XORBytes(o.checksum[:len(p)], o.checksum[:len(p)], p)
		o.checksum[len(p)] ^= 0x80
		subtle.XORBytes(c[:len(p)], p, o.tmp[:len(p)])
	}
	o.tag(ad)
	copy(out[len(plaintext):], o.tmp[:])
	return ret
}

var errOpen = errors.New("wire: ocb: message authentication failed")

// Open implements cipher.AEAD. On failure the output is zeroed.
func (o *ocb3) Open(dst, nonce, ciphertext, ad []byte) ([]byte, error) {
	if len(ciphertext) < TagLen {
		return nil, errOpen
	}
	n := len(ciphertext) - TagLen
	ret, out := sliceForAppend(dst, n)
	o.initOffset(nonce)
	c, p := ciphertext[:n], out
	for i := 1; len(c) >= 16; i++ {
		xor16(o.offset[:], o.offset[:], o.l[bits.TrailingZeros(uint(i))][:])
		xor16(o.tmp[:], c, o.offset[:])
		o.block.Decrypt(o.tmp[:], o.tmp[:])
		xor16(p, o.tmp[:], o.offset[:])
		xor16(o.checksum[:], o.checksum[:], p)
		c, p = c[16:], p[16:]
	}
	if len(c) > 0 {
		xor16(o.offset[:], o.offset[:], o.lStar[:])
		o.block.Encrypt(o.tmp[:], o.offset[:])
		subtle.XORBytes(p[:len(c)], c, o.tmp[:len(c)])
		subtle.XORBytes(o.checksum[:len(c)], o.checksum[:len(c)], p[:len(c)])
		o.checksum[len(c)] ^= 0x80
	}
	o.tag(ad)
	if subtle.ConstantTimeCompare(o.tmp[:], ciphertext[n:]) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// sliceForAppend extends in by n bytes, reusing its capacity when it can;
// out is the new tail (the idiom of the standard library's AEADs).
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}
