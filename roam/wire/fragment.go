package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// FragmentHeaderLen is the instruction id (8) and the final bit + fragment
// number (2) in front of each fragment's data.
const FragmentHeaderLen = 10

// Application MTUs (src/network/network.cc, set_MTU): a 1280-byte path minus
// IP and UDP headers, and the permanent fallback after EMSGSIZE.
const (
	MTUv4       = 1252
	MTUv6       = 1216
	MTUFallback = 500
)

// MaxFragments is the number of distinct fragment numbers: 15 bits.
const MaxFragments = 1 << 15

const (
	finalBit   = 0x8000
	numberMask = 0x7FFF
)

// FragmentDataSize is the data that fits one fragment in a datagram of at
// most mtu bytes: mtu − 12 (nonce tail and timestamps) − 16 (tag) − 10
// (fragment header). 1214 for MTUv4, 1178 for MTUv6, 462 for MTUFallback.
func FragmentDataSize(mtu int) int {
	return mtu - NonceTailLen - PacketHeaderLen - TagLen - FragmentHeaderLen
}

// Fragment is one piece of a compressed instruction.
type Fragment struct {
	ID    uint64
	Num   uint16 // 0..32767
	Final bool
	Data  []byte
}

// AppendMarshal appends the 10-byte header and the data. Num must be below
// MaxFragments (the Fragmenter guarantees it); a larger Num is a bug in the
// caller and panics, as mosh's sender aborts.
func (f Fragment) AppendMarshal(b []byte) []byte {
	if f.Num > numberMask {
		panic(fmt.Sprintf("wire: fragment number %d does not fit 15 bits", f.Num))
	}
	b = binary.BigEndian.AppendUint64(b, f.ID)
	n := f.Num
	if f.Final {
		n |= finalBit
	}
	b = binary.BigEndian.AppendUint16(b, n)
	return append(b, f.Data...)
}

// ErrShortFragment is returned for a payload without a full fragment header.
// (A real mosh peer aborts on one: never send it.)
var ErrShortFragment = errors.New("wire: fragment shorter than its header")

// ParseFragment decodes a fragment. Data aliases b.
func ParseFragment(b []byte) (Fragment, error) {
	if len(b) < FragmentHeaderLen {
		return Fragment{}, ErrShortFragment
	}
	n := binary.BigEndian.Uint16(b[8:])
	return Fragment{
		ID:    binary.BigEndian.Uint64(b),
		Num:   n & numberMask,
		Final: n&finalBit != 0,
		Data:  b[FragmentHeaderLen:],
	}, nil
}

// Fragmenter splits instructions into fragments the way mosh's
// Fragmenter::make_fragments does, including its choice of instruction ids.
// The zero value is ready to use. Not safe for concurrent use.
type Fragmenter struct {
	started bool
	id      uint64
	last    Instruction // only the fields that decide the id; Diff unused
	lastMTU int

	zw  *zlib.Writer // default level, for instructions worth compressing
	buf bytes.Buffer
	// marshalled is the last instruction's encoding, kept for the next:
	// compress copies what it sends, so one buffer serves every call
	// instead of a new one grown from nothing on each keystroke. payload
	// and frags, the last call's result, are reused the same way: the
	// caller is done with them before the next call.
	marshalled []byte
	payload    []byte
	frags      []Fragment
}

// keepMarshalled is the largest encoding buffer a Fragmenter keeps between
// calls; a bigger one (a screenful of history) is left to the collector.
const keepMarshalled = 16 << 10

// storeBelow is the marshalled size under which an instruction is sent as
// a stored (uncompressed) zlib stream. Deflate saves a few bytes at most on
// such sizes, and resetting a default-level compressor clears its hash
// tables, about 20 µs of every keystroke's datagram; a stored stream costs
// under 1 µs. Any zlib inflater, mosh's uncompress included, reads both.
const storeBelow = 128

// storedOverhead is what a stream of one stored block adds: the zlib
// header, the block header and the checksum.
const storedOverhead = 2 + 5 + 4

// Fragments compresses the marshalled instruction and cuts it into fragments
// of at most FragmentDataSize(mtu) data bytes, numbered from 0, the last one
// marked final. The id is incremented before use whenever old_num, new_num,
// ack_num, throwaway_num, chaff, protocol_version or mtu differ from the
// previous call (so the first id is 1); a retransmission with all of them
// equal reuses the id and produces identical fragments. The fragments and
// their data are valid until the next call, which reuses their storage.
func (fr *Fragmenter) Fragments(in *Instruction, mtu int) ([]Fragment, error) {
	size := FragmentDataSize(mtu)
	if size <= 0 {
		return nil, fmt.Errorf("wire: mtu %d leaves no room for fragment data", mtu)
	}
	marshalled := in.AppendMarshal(fr.marshalled[:0])
	payload := fr.compress(marshalled)
	if cap(marshalled) <= keepMarshalled {
		fr.marshalled = marshalled
	}
	count := (len(payload) + size - 1) / size // zlib output is never empty
	if count > MaxFragments {
		return nil, fmt.Errorf("wire: instruction needs %d fragments at mtu %d, limit %d", count, mtu, MaxFragments)
	}

	if !fr.started || in.OldNum != fr.last.OldNum || in.NewNum != fr.last.NewNum ||
		in.AckNum != fr.last.AckNum || in.ThrowawayNum != fr.last.ThrowawayNum ||
		!bytes.Equal(in.Chaff, fr.last.Chaff) || in.ProtocolVersion != fr.last.ProtocolVersion ||
		mtu != fr.lastMTU {
		fr.id++
	}
	fr.started = true
	fr.last = Instruction{
		ProtocolVersion: in.ProtocolVersion,
		OldNum:          in.OldNum,
		NewNum:          in.NewNum,
		AckNum:          in.AckNum,
		ThrowawayNum:    in.ThrowawayNum,
		Chaff:           append(fr.last.Chaff[:0], in.Chaff...),
	}
	fr.lastMTU = mtu

	frags := fr.frags[:0]
	for i := 0; i < count; i++ {
		end := min((i+1)*size, len(payload))
		frags = append(frags, Fragment{
			ID:    fr.id,
			Num:   uint16(i),
			Final: i == count-1,
			Data:  payload[i*size : end : end],
		})
	}
	if cap(payload) <= keepMarshalled {
		fr.payload, fr.frags = payload, frags
	}
	return frags, nil
}

// compress zlib-encodes a marshalled instruction: stored when it is small,
// deflated otherwise.
func (fr *Fragmenter) compress(b []byte) []byte {
	if len(b) < storeBelow {
		// Sized once: the buffer is reused, and grows only for a larger one.
		return appendStored(slices.Grow(fr.payload[:0], len(b)+storedOverhead), b)
	}
	if fr.zw == nil {
		fr.zw = zlib.NewWriter(&fr.buf)
	}
	return compressWith(fr.zw, &fr.buf, b)
}
