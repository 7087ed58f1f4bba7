package wire

import (
	"encoding/binary"
	"errors"
)

// NoTimestamp in either timestamp field means "no value".
const NoTimestamp uint16 = 0xFFFF

// PacketHeaderLen is the two timestamps in front of every payload.
const PacketHeaderLen = 4

// Timestamp16 is mosh's 16-bit millisecond clock: ms mod 65536, with 0xFFFF
// (NoTimestamp) bumped to 0 so that a real timestamp never means "none".
func Timestamp16(ms int64) uint16 {
	ts := uint16(ms)
	if ts == NoTimestamp {
		return 0
	}
	return ts
}

// Packet is the plaintext of a datagram: the sender's timestamp, the echo of
// the peer's timestamp (held time added) and the payload, a Fragment.
type Packet struct {
	Timestamp, TimestampReply uint16
	Payload                   []byte
}

// AppendMarshal appends ts ‖ ts_reply ‖ payload to b.
func (p Packet) AppendMarshal(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, p.Timestamp)
	b = binary.BigEndian.AppendUint16(b, p.TimestampReply)
	return append(b, p.Payload...)
}

// ErrShortPacket is returned for a plaintext without both timestamps.
var ErrShortPacket = errors.New("wire: packet shorter than its timestamps")

// ParsePacket splits a plaintext. Payload aliases the input.
func ParsePacket(plaintext []byte) (Packet, error) {
	if len(plaintext) < PacketHeaderLen {
		return Packet{}, ErrShortPacket
	}
	return Packet{
		Timestamp:      binary.BigEndian.Uint16(plaintext),
		TimestampReply: binary.BigEndian.Uint16(plaintext[2:]),
		Payload:        plaintext[PacketHeaderLen:],
	}, nil
}
