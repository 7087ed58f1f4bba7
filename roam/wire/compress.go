package wire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// MaxDecompressed is the output buffer of mosh's uncompress (2048·2048
// bytes, src/network/compressor.cc): a larger instruction fails at the real
// peer, so we refuse it too.
const MaxDecompressed = 4 << 20

// maxCompressed bounds the zlib bytes one instruction may occupy: a stream
// that inflates to at most MaxDecompressed is at most that plus zlib's stored
// block overhead (5 bytes per 16 KiB block, header and checksum), well under
// this.
const maxCompressed = MaxDecompressed + MaxDecompressed>>10 + 64

// ErrTooLarge is returned when an instruction would exceed MaxDecompressed.
var ErrTooLarge = errors.New("wire: instruction larger than 4 MiB")

// Compress returns b as a zlib stream (RFC 1950) at the default level, the
// format of zlib's compress(). The bytes differ from C zlib's but any
// conforming inflater, the real peer's included, accepts them.
func Compress(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	return compressWith(zw, &buf, b)
}

// compressWith compresses through a reusable writer; buf is its destination.
func compressWith(zw *zlib.Writer, buf *bytes.Buffer, b []byte) []byte {
	buf.Reset()
	zw.Reset(buf)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = zw.Write(b)
	_ = zw.Close()
	return bytes.Clone(buf.Bytes())
}

// Decompress inflates a zlib stream. Output above MaxDecompressed is an
// error and is never held in memory beyond that bound; a truncated stream,
// bad checksum or preset dictionary is an error as with zlib's uncompress().
func Decompress(b []byte) ([]byte, error) {
	if out, ok := parseStored(b); ok {
		return bytes.Clone(out), nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("wire: zlib: %w", err)
	}
	return inflate(zr)
}

// inflate reads a prepared zlib reader to its end, bounded.
func inflate(zr io.Reader) ([]byte, error) {
	var out bytes.Buffer
	n, err := out.ReadFrom(io.LimitReader(zr, MaxDecompressed+1))
	if err != nil {
		return nil, fmt.Errorf("wire: zlib: %w", err)
	}
	if n > MaxDecompressed {
		return nil, ErrTooLarge
	}
	return out.Bytes(), nil
}

// decompressor inflates with one reusable zlib reader, saving the
// decompressor's large state between instructions; a stream of stored
// blocks does not need it (parseStored).
type decompressor struct {
	src bytes.Reader
	zr  io.ReadCloser
}

func (d *decompressor) decompress(b []byte) ([]byte, error) {
	if out, ok := parseStored(b); ok {
		return bytes.Clone(out), nil // b is the assembler's buffer
	}
	d.src.Reset(b)
	if d.zr == nil {
		zr, err := zlib.NewReader(&d.src)
		if err != nil {
			return nil, fmt.Errorf("wire: zlib: %w", err)
		}
		d.zr = zr
	} else if err := d.zr.(zlib.Resetter).Reset(&d.src, nil); err != nil {
		return nil, fmt.Errorf("wire: zlib: %w", err)
	}
	return inflate(d.zr)
}
