package term

import (
	"fmt"
	"strings"
	"testing"
)

// Benchmarks of frame generation for typical changes. Each reports the
// frame's size in bytes beside the time; the buffer is reused, as a server
// does, so steady-state allocations show.

// editorScreen writes a full-screen, coloured editor view of a file,
// starting at line first.
func editorScreen(w, h, first int) string {
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[2J")
	for y := 0; y < h-1; y++ {
		fmt.Fprintf(&b, "\x1b[%d;1H\x1b[33m%4d \x1b[m", y+1, first+y)
		line := fmt.Sprintf("\x1b[1;34mfunc\x1b[m example%d(x \x1b[32mint\x1b[m) { return x * %d } // comment", first+y, first+y)
		b.WriteString(line)
	}
	fmt.Fprintf(&b, "\x1b[%d;1H\x1b[7m -- INSERT -- %*s\x1b[m", h, w-14, "")
	fmt.Fprintf(&b, "\x1b[%d;6H", 1+(first%(h-1)))
	return b.String()
}

// shellScreen fills a screen with command output and a prompt.
func shellScreen(h int) string {
	var b strings.Builder
	for i := 0; i < h+5; i++ {
		fmt.Fprintf(&b, "\x1b[01;34mdir%d\x1b[0m  file%d.go  README.md  \x1b[01;32mbuild.sh\x1b[0m\r\n", i, i)
	}
	b.WriteString("user@host:~/src$ ")
	return b.String()
}

func benchFrame(b *testing.B, w, h int, setup, change string) {
	em := NewEmulator(w, h)
	_, _ = em.Write([]byte(setup))
	a := em.Framebuffer().Clone()
	_, _ = em.Write([]byte(change))
	f := em.Framebuffer()
	d := ServerDisplay()
	buf := d.AppendNewFrame(nil, true, a, f)
	size := len(buf)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf = d.AppendNewFrame(buf[:0], true, a, f)
	}
	b.ReportMetric(float64(size), "bytes/frame")
}

func BenchmarkNewFrame(b *testing.B) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {200, 60}} {
		name := fmt.Sprintf("%dx%d", sz.w, sz.h)
		b.Run("TypedChar/"+name, func(b *testing.B) {
			benchFrame(b, sz.w, sz.h, shellScreen(sz.h), "l")
		})
		b.Run("ScrolledLine/"+name, func(b *testing.B) {
			benchFrame(b, sz.w, sz.h, shellScreen(sz.h), "\r\n\x1b[01;34mnewdir\x1b[0m  another-file.txt\r\nuser@host:~/src$ ")
		})
		b.Run("EditorRepaint/"+name, func(b *testing.B) {
			benchFrame(b, sz.w, sz.h, editorScreen(sz.w, sz.h, 1), editorScreen(sz.w, sz.h, 1+sz.h))
		})
		b.Run("FullRedraw/"+name, func(b *testing.B) {
			em := NewEmulator(sz.w, sz.h)
			_, _ = em.Write([]byte(editorScreen(sz.w, sz.h, 1)))
			f := em.Framebuffer()
			blank := NewFramebuffer(sz.w, sz.h)
			d := ServerDisplay()
			buf := d.AppendNewFrame(nil, false, blank, f)
			size := len(buf)
			b.ReportAllocs()
			for b.Loop() {
				buf = d.AppendNewFrame(buf[:0], false, blank, f)
			}
			b.ReportMetric(float64(size), "bytes/frame")
		})
	}
}
