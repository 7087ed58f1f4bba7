//go:build cgo && linux

// Package glibc calls this machine's GNU C library in a UTF-8 locale. It
// is the oracle for package term's tests (wcwidth, and mosh's UTF-8
// decoding loop on top of mbrtowc) and for its width table generator; the
// term package itself never links it.
package glibc

/*
#define _GNU_SOURCE
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static int glibc_utf8_locale(void) {
	return setlocale(LC_CTYPE, "C.UTF-8") != NULL;
}

// mosh_decode runs the loop of mosh 1.4's UTF8Parser::input (parser.cc)
// over in[0..n), writing code points to out (capacity 2n) and returning
// their number. Bytes of an incomplete sequence at the end stay pending
// and produce nothing, as in mosh. The algorithm is re-expressed here
// from its description; only glibc's mbrtowc behaviour is the oracle.
static size_t mosh_decode(const unsigned char *in, size_t n, uint32_t *out) {
	char buf[8];
	size_t len = 0, nout = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = in[k];
		if (len == 0 && c <= 0x7f) {
			out[nout++] = c;
			continue;
		}
		buf[len++] = (char)c;
		size_t done = 0, want = len;
		while (done != want) {
			wchar_t wc;
			mbstate_t st;
			memset(&st, 0, sizeof st);
			size_t r = mbrtowc(&wc, buf, len, &st);
			if (r == 0) {
				len = 0; wc = 0; r = 1;
			} else if (r == (size_t)-1) {
				if (len > 1) {
					buf[0] = buf[len - 1];
					r = len - 1;
					len = 1;
				} else {
					len = 0;
					r = 1;
				}
				wc = 0xFFFD;
			} else if (r == (size_t)-2) {
				done += len;
				continue;
			} else {
				memmove(buf, buf + r, len - r);
				len -= r;
			}
			uint32_t u = (uint32_t)wc;
			if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF)) {
				u = 0xFFFD;
			}
			out[nout++] = u;
			done += r;
		}
	}
	return nout;
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"
)

var localeOnce = sync.OnceValue(func() error {
	if C.glibc_utf8_locale() == 0 {
		return errors.New("glibc: setlocale(LC_CTYPE, \"C.UTF-8\") failed")
	}
	return nil
})

// Available reports whether the oracle can be used, and why not.
func Available() error { return localeOnce() }

// Wcwidth returns glibc's wcwidth(r) in the C.UTF-8 locale.
func Wcwidth(r rune) int {
	if err := localeOnce(); err != nil {
		panic(err)
	}
	return int(C.wcwidth(C.wchar_t(r)))
}

// Wcwidths returns wcwidth for every code point in [lo, hi).
func Wcwidths(lo, hi rune) []int8 {
	if err := localeOnce(); err != nil {
		panic(err)
	}
	out := make([]int8, 0, hi-lo)
	for r := lo; r < hi; r++ {
		out = append(out, int8(C.wcwidth(C.wchar_t(r))))
	}
	return out
}

// MoshDecode returns the code points mosh's UTF-8 loop on glibc produces
// for in, read as one stream.
func MoshDecode(in []byte) []rune {
	if err := localeOnce(); err != nil {
		panic(err)
	}
	if len(in) == 0 {
		return nil
	}
	out := make([]uint32, 2*len(in))
	n := C.mosh_decode((*C.uchar)(unsafe.Pointer(&in[0])), C.size_t(len(in)), (*C.uint32_t)(unsafe.Pointer(&out[0])))
	runes := make([]rune, n)
	for i := range runes {
		runes[i] = rune(out[i])
	}
	return runes
}
