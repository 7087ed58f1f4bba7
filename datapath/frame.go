package datapath

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Datagrams that ride a byte stream (an SSH channel, a unix socket, a
// relay's stdin/stdout) are framed as
//
//	length (u16, big-endian) ‖ datagram (length bytes)
//
// A zero length is a frame with no datagram; readers skip it. mosh's
// datagrams are at most wire.MaxDatagram (2048) bytes, so 16 bits leave
// room without letting a peer make a reader buffer more than 64 KiB.

// maxFrameData is the largest datagram a frame can carry.
const maxFrameData = 0xffff

// frameHeader is the size of a frame's length prefix.
const frameHeader = 2

// errFrameTooBig is returned when a datagram does not fit in a frame.
var errFrameTooBig = errors.New("datapath: datagram too big for a stream frame")

// AppendFrame appends d, framed, to dst.
func AppendFrame(dst, d []byte) ([]byte, error) {
	if len(d) > maxFrameData {
		return dst, fmt.Errorf("%w: %d bytes", errFrameTooBig, len(d))
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(d)))
	return append(dst, d...), nil
}

// FrameReader reads framed datagrams from a stream.
type FrameReader struct {
	r   *bufio.Reader
	buf []byte
}

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 16<<10), buf: make([]byte, maxFrameData)}
}

// Next returns the next non-empty datagram. The slice is valid until the
// next call. It returns io.EOF at a clean end of stream (between frames)
// and io.ErrUnexpectedEOF when the stream ends inside a frame.
func (f *FrameReader) Next() ([]byte, error) {
	for {
		var hdr [frameHeader]byte
		if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
			return nil, err
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		if n == 0 {
			continue
		}
		if _, err := io.ReadFull(f.r, f.buf[:n]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return f.buf[:n], nil
	}
}
