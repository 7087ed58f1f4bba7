package wire

import (
	"encoding/binary"
	"hash/adler32"
)

// A zlib stream (RFC 1950) whose deflate data (RFC 1951) is only stored
// blocks is a header, the bytes in blocks of at most 65535, each behind its
// length and the length's complement, and the Adler-32 of the bytes. Our
// small instructions travel that way (storeBelow), and such a stream needs
// no Huffman tables: appendStored writes one and parseStored reads one, so a
// keystroke's datagram does not reset compress/flate's compressor and
// decompressor, several KiB of state touched at both ends for every key.
// Every other stream (mosh's own, compressed) goes to compress/zlib.

// storedHeader is CMF 0x78 (deflate, 32 KiB window) and FLG 0x01 (no
// preset dictionary, fastest level, and check bits that make 0x7801 a
// multiple of 31): what zlib writes at level 0.
var storedHeader = [2]byte{0x78, 0x01}

// maxStoredBlock is the largest stored block deflate can describe.
const maxStoredBlock = 0xffff

// appendStored appends b to dst as a zlib stream of stored blocks.
func appendStored(dst, b []byte) []byte {
	sum := adler32.Checksum(b)
	dst = append(dst, storedHeader[:]...)
	for {
		n := min(len(b), maxStoredBlock)
		var final byte // BTYPE 00 in bits 1-2 either way
		if n == len(b) {
			final = 1 // BFINAL
		}
		dst = append(dst, final)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
		dst = binary.LittleEndian.AppendUint16(dst, ^uint16(n))
		dst = append(dst, b[:n]...)
		b = b[n:]
		if final == 1 {
			return binary.BigEndian.AppendUint32(dst, sum)
		}
	}
}

// parseStored returns the bytes of b if it is a complete zlib stream of
// stored blocks with a correct checksum and nothing after it, and ok false
// for anything else, which the caller hands to compress/zlib: a stream that
// is compressed, damaged or truncated gets the same answer as before, from
// the same inflater. The result aliases b when the stream has one block.
func parseStored(b []byte) (out []byte, ok bool) {
	if len(b) < 2 || b[0]&0x0f != 8 || b[0]>>4 > 7 || b[1]&0x20 != 0 || binary.BigEndian.Uint16(b)%31 != 0 {
		return nil, false // not deflate, a window over 32 KiB, a preset dictionary or a bad check
	}
	p := b[2:]
	var joined []byte
	blocks := 0
	for {
		// A stored block's header byte has BTYPE 00 and, from bit 3 on,
		// the padding to the byte boundary, which inflaters ignore.
		if len(p) < 5 || p[0]&0x06 != 0 {
			return nil, false
		}
		final := p[0]&1 == 1
		n := int(binary.LittleEndian.Uint16(p[1:]))
		if binary.LittleEndian.Uint16(p[3:]) != ^uint16(n) || len(p) < 5+n {
			return nil, false
		}
		data := p[5 : 5+n : 5+n]
		p = p[5+n:]
		blocks++
		switch {
		case blocks == 1 && final:
			out = data
		case blocks == 1:
			joined = append(joined, data...)
		default:
			joined = append(joined, data...)
			if len(joined) > MaxDecompressed {
				return nil, false
			}
			out = joined
		}
		if final {
			break
		}
	}
	if len(p) != 4 || binary.BigEndian.Uint32(p) != adler32.Checksum(out) {
		return nil, false
	}
	if out == nil {
		out = []byte{}
	}
	return out, true
}
