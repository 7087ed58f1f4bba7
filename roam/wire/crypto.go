package wire

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ProtonMail/go-crypto/ocb"
)

// Key is a mosh session key: 16 bytes for AES-128.
type Key [16]byte

// keyTextLen is the length of a printed key: base64 of 16 bytes without the
// trailing "==" (src/crypto/crypto.cc, Base64Key).
const keyTextLen = 22

// NewKey returns a fresh random key from crypto/rand.
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("generating the session key: %w", err)
	}
	return k, nil
}

// ErrBadKey is returned by ParseKey for anything but a canonical 22-character
// key. The message never contains the key text.
var ErrBadKey = errors.New("the session key must be 22 characters of base64 (as printed by mosh-server)")

// ParseKey parses the 22-character form printed by mosh-server. Like mosh it
// is strict: the text must re-encode to itself, so the unused low bits of
// the last character must be zero and no padding or whitespace is allowed.
func ParseKey(s string) (Key, error) {
	if len(s) != keyTextLen {
		return Key{}, ErrBadKey
	}
	var raw [18]byte // 22 base64 chars hold 16.5 bytes; Decode needs room
	n, err := base64.RawStdEncoding.Strict().Decode(raw[:], []byte(s))
	if err != nil || n != len(Key{}) {
		return Key{}, ErrBadKey
	}
	var k Key
	copy(k[:], raw[:n])
	// The decoder skips '\r' and '\n'; the round trip catches those and any
	// other non-canonical spelling.
	if k.String() != s {
		return Key{}, ErrBadKey
	}
	return k, nil
}

// String returns the key in mosh's 22-character form. It is the secret:
// callers keep it out of argv, logs and error messages.
func (k Key) String() string {
	return base64.RawStdEncoding.EncodeToString(k[:])
}

// Direction is the nonce's top bit: which way a datagram travels. The same
// key is used both ways; the bit keeps the two nonce spaces disjoint.
type Direction uint8

// The two directions, as in mosh's network.h.
const (
	ToServer Direction = 0
	ToClient Direction = 1
)

func (d Direction) String() string {
	switch d {
	case ToServer:
		return "to-server"
	case ToClient:
		return "to-client"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// Sizes of the datagram framing.
const (
	// MaxDatagram is mosh's receive buffer (Session::RECEIVE_MTU): anything
	// longer is truncated by the real peer and fails there.
	MaxDatagram = 2048
	// NonceTailLen is the transmitted part of the 12-byte nonce.
	NonceTailLen = 8
	// TagLen is the OCB tag length.
	TagLen = 16
	// SealOverhead is what Seal adds to a plaintext.
	SealOverhead = NonceTailLen + TagLen
	// MaxSeq is the largest sequence number; only 63 bits fit the nonce.
	MaxSeq = 1<<63 - 1
)

// Errors returned by Session.Open. All are the peer's (or an attacker's)
// fault; the transport drops the datagram and counts it.
var (
	ErrTooShort = errors.New("wire: datagram shorter than nonce and tag")
	ErrTooLong  = errors.New("wire: datagram longer than 2048 bytes")
	ErrAuth     = errors.New("wire: datagram failed integrity check")
)

// Session seals and opens datagrams with one key: AES-128 in OCB3 mode
// (RFC 7253), 12-byte nonce, 16-byte tag, no associated data.
//
// The cipher is github.com/ProtonMail/go-crypto/ocb, which passes the
// RFC 7253 vectors (ocb_test.go). A Session is not safe for concurrent use:
// neither that implementation nor the nonce scratch buffer here is. Use one
// per goroutine.
//
// Sealing and opening have a cipher instance each. The implementation
// keeps the encryption of the last nonce's top bits (all but the low six
// of the sequence number) for the next call; the two directions' nonces
// differ in their top bit, so one instance for both recomputed it at every
// call of an interactive session, which alternates: three allocations and
// a block encryption more, each time (TestSessionAlternatingAllocations).
type Session struct {
	seal, open cipher.AEAD
	nonce      [12]byte // first 4 bytes stay zero
}

// NewSession prepares the cipher for key k.
func NewSession(k Key) (*Session, error) {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("wire: aes: %w", err)
	}
	seal, err := ocb.NewOCBWithNonceAndTagSize(block, 12, TagLen)
	if err != nil {
		return nil, fmt.Errorf("wire: ocb: %w", err)
	}
	open, err := ocb.NewOCBWithNonceAndTagSize(block, 12, TagLen)
	if err != nil {
		return nil, fmt.Errorf("wire: ocb: %w", err)
	}
	return &Session{seal: seal, open: open}, nil
}

// nonceTail is the wire form of (dir, seq): seq's top bit is dropped like
// mosh's SEQUENCE_MASK does.
func nonceTail(dir Direction, seq uint64) uint64 {
	return uint64(dir&1)<<63 | seq&MaxSeq
}

// Seal appends to dst the datagram nonce tail (8 bytes, BE64 dir<<63|seq) ‖
// ciphertext ‖ tag (16) and returns the extended slice. Only the low 63 bits
// of seq are used; the caller never reuses a (dir, seq) pair under one key.
// plaintext must not overlap dst's spare capacity.
func (s *Session) Seal(dst []byte, dir Direction, seq uint64, plaintext []byte) []byte {
	binary.BigEndian.PutUint64(s.nonce[4:], nonceTail(dir, seq))
	dst = append(dst, s.nonce[4:]...)
	return s.seal.Seal(dst, s.nonce[:], plaintext, nil)
}

// Open authenticates a datagram and appends its plaintext to dst, returning
// the extended slice as plaintext (use dst[:0] to reuse a buffer). Errors are
// ErrTooShort, ErrTooLong and ErrAuth; it never panics. Whether dir is the
// expected one, and whether seq is new, is for the caller to judge.
func (s *Session) Open(dst, datagram []byte) (dir Direction, seq uint64, plaintext []byte, err error) {
	if len(datagram) < SealOverhead {
		return 0, 0, nil, ErrTooShort
	}
	if len(datagram) > MaxDatagram {
		return 0, 0, nil, ErrTooLong
	}
	copy(s.nonce[4:], datagram[:NonceTailLen])
	plaintext, err = s.open.Open(dst, s.nonce[:], datagram[NonceTailLen:], nil)
	if err != nil {
		return 0, 0, nil, ErrAuth
	}
	tail := binary.BigEndian.Uint64(s.nonce[4:])
	return Direction(tail >> 63), tail & MaxSeq, plaintext, nil
}
