package term

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchPlain is plain ASCII text with line breaks.
func benchPlain() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog, again and again\r\n", i)
	}
	return b.Bytes()
}

// benchColorLS looks like `ls -l --color`: an SGR change per field.
func benchColorLS() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "\x1b[0m-rw-r--r-- 1 user group %8d Jan %2d 12:%02d \x1b[01;34mdir%d\x1b[0m/\x1b[38;5;%dmfile%d.txt\x1b[0m\r\n",
			i*37, i%28+1, i%60, i, i%256, i)
	}
	return b.Bytes()
}

// benchEditor looks like a full-screen editor: scrolling region, cursor
// addressing, erase to end of line, reverse-video status line.
func benchEditor() []byte {
	var b bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 1))
	b.WriteString("\x1b[?1049h\x1b[1;23r")
	for b.Len() < 1<<20 {
		switch rng.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "\x1b[23;1H\n\x1b[K%s", "    if err != nil { return fmt.Errorf(\"x: %w\", err) }")
		case 1:
			fmt.Fprintf(&b, "\x1b[%d;%dH\x1b[K\x1b[33mfunc\x1b[m name%d() {", 1+rng.IntN(23), 1+rng.IntN(10), rng.IntN(100))
		case 2:
			fmt.Fprintf(&b, "\x1b[24;1H\x1b[7m-- INSERT -- %d,%d\x1b[m\x1b[K", rng.IntN(1000), rng.IntN(80))
		case 3:
			fmt.Fprintf(&b, "\x1b[1;1H\x1b[M\x1b[%d;1H\x1b[L", 1+rng.IntN(23))
		}
	}
	return b.Bytes()
}

func benchmarkWrite(b *testing.B, data []byte) {
	e := NewEmulator(80, 24)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		e.Write(data)
	}
}

func BenchmarkWritePlain(b *testing.B)   { benchmarkWrite(b, benchPlain()) }
func BenchmarkWriteColorLS(b *testing.B) { benchmarkWrite(b, benchColorLS()) }
func BenchmarkWriteEditor(b *testing.B)  { benchmarkWrite(b, benchEditor()) }

// BenchmarkWriteClone interleaves output with a clone per 4 KiB, as the
// server does when it snapshots states while output streams in.
func BenchmarkWriteClone(b *testing.B) {
	data := benchColorLS()
	e := NewEmulator(80, 24)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(data); i += 4096 {
			e.Write(data[i:min(i+4096, len(data))])
			_ = e.Framebuffer().Clone()
		}
	}
}

func BenchmarkClone(b *testing.B) {
	e := NewEmulator(200, 60)
	e.Write(benchColorLS()[:64<<10])
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Framebuffer().Clone()
	}
}

func BenchmarkEqualShared(b *testing.B) {
	e := NewEmulator(200, 60)
	e.Write(benchColorLS()[:64<<10])
	c := e.Framebuffer().Clone()
	b.ReportAllocs()
	for b.Loop() {
		if !c.Equal(e.Framebuffer()) {
			b.Fatal("clone differs")
		}
	}
}

func BenchmarkEqualCopied(b *testing.B) {
	data := benchColorLS()[:64<<10]
	e1, e2 := NewEmulator(200, 60), NewEmulator(200, 60)
	e1.Write(data)
	e2.Write(data)
	b.ReportAllocs()
	for b.Loop() {
		if !e1.Framebuffer().Equal(e2.Framebuffer()) {
			b.Fatal("screens differ")
		}
	}
}
