package term

// utf8Decoder turns bytes into code points exactly as mosh's UTF8Parser
// does on top of glibc's mbrtowc in a UTF-8 locale, so that malformed
// input yields the same U+FFFD replacements on both ends:
//
//   - glibc accepts lead bytes C2–DF, E0–EF, F0–F7, and also the obsolete
//     5- and 6-byte leads F8–FB and FC–FD; 80–BF, C0, C1, FE and FF are
//     invalid on their own and become U+FFFD;
//   - while a sequence is incomplete, only "is the next byte a continuation
//     byte" is checked; a non-continuation byte ends it with U+FFFD and is
//     then decoded afresh;
//   - a complete sequence that is overlong or a surrogate is rejected as a
//     whole: mosh then emits U+FFFD and decodes its last byte (always a
//     continuation byte, hence a second U+FFFD) afresh;
//   - a well-formed sequence above U+10FFFF yields a single U+FFFD.
//
// Its state survives across Write calls.
type utf8Decoder struct {
	acc  rune  // value accumulated so far
	have uint8 // bytes of the pending sequence seen, 0 when idle
	need uint8 // total length of the pending sequence
}

// leadLength returns the sequence length glibc expects after lead byte b
// (0 when b cannot start a sequence) and the value bits it carries.
func leadLength(b byte) (n uint8, bits rune) {
	switch {
	case b >= 0xc2 && b <= 0xdf:
		return 2, rune(b & 0x1f)
	case b&0xf0 == 0xe0:
		return 3, rune(b & 0x0f)
	case b&0xf8 == 0xf0:
		return 4, rune(b & 0x07)
	case b&0xfc == 0xf8:
		return 5, rune(b & 0x03)
	case b&0xfe == 0xfc:
		return 6, rune(b & 0x01)
	}
	return 0, 0
}

// decode consumes byte b (which must be ≥ 0x80 or arrive mid-sequence) and
// returns the code points it completes: n is 0, 1 or 2.
func (d *utf8Decoder) decode(b byte) (r1, r2 rune, n int) {
	if d.have != 0 {
		if b&0xc0 == 0x80 {
			d.acc = d.acc<<6 | rune(b&0x3f)
			d.have++
			if d.have < d.need {
				return 0, 0, 0
			}
			n := d.need
			d.have = 0
			r := d.acc
			if (n > 2 && r>>(5*rune(n)-4) == 0) || (r >= 0xd800 && r <= 0xdfff) {
				// Overlong or surrogate: rejected whole, then the last
				// (continuation) byte is decoded on its own.
				return 0xfffd, 0xfffd, 2
			}
			if r > 0x10ffff {
				r = 0xfffd
			}
			return r, 0, 1
		}
		// The pending sequence is cut short; b starts afresh.
		d.have = 0
		if b < 0x80 {
			return 0xfffd, rune(b), 2
		}
		if need, bits := leadLength(b); need != 0 {
			d.acc, d.have, d.need = bits, 1, need
			return 0xfffd, 0, 1
		}
		return 0xfffd, 0xfffd, 2
	}
	need, bits := leadLength(b)
	if need == 0 {
		return 0xfffd, 0, 1
	}
	d.acc, d.have, d.need = bits, 1, need
	return 0, 0, 0
}
