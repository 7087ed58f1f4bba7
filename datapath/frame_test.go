package datapath

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"pgregory.net/rapid"
)

// readAll decodes every frame of b.
func readAll(b []byte) ([][]byte, error) {
	fr := NewFrameReader(bytes.NewReader(b))
	var out [][]byte
	for {
		d, err := fr.Next()
		if err != nil {
			return out, err
		}
		out = append(out, append([]byte(nil), d...))
	}
}

func TestFrameWireBytes(t *testing.T) {
	got, err := AppendFrame([]byte{0xaa}, []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xaa, 0x00, 0x02, 'h', 'i'}; !bytes.Equal(got, want) {
		t.Fatalf("AppendFrame = %x, want %x", got, want)
	}
	if _, err := AppendFrame(nil, make([]byte, maxFrameData+1)); !errors.Is(err, errFrameTooBig) {
		t.Fatalf("oversize datagram: err = %v, want ErrFrameTooBig", err)
	}
	if _, err := AppendFrame(nil, make([]byte, maxFrameData)); err != nil {
		t.Fatalf("largest datagram: %v", err)
	}
}

func TestFrameReaderEnds(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		frames  int
		wantErr error
	}{
		{"empty stream", nil, 0, io.EOF},
		{"one frame", []byte{0, 1, 'x'}, 1, io.EOF},
		{"empty frames are skipped", []byte{0, 0, 0, 0, 0, 1, 'x', 0, 0}, 1, io.EOF},
		{"half a header", []byte{0, 1, 'x', 0}, 1, io.ErrUnexpectedEOF},
		{"short body", []byte{0, 3, 'x'}, 0, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.in)
			if len(got) != tt.frames || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %d frames, err %v; want %d, %v", len(got), err, tt.frames, tt.wantErr)
			}
		})
	}
}

// Law: decoding the concatenation of framed datagrams gives back the
// non-empty datagrams, in order, then a clean EOF.
func TestFrameRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ds := rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 0, 3000), 0, 20).Draw(t, "datagrams")
		var stream []byte
		var want [][]byte
		for _, d := range ds {
			var err error
			if stream, err = AppendFrame(stream, d); err != nil {
				t.Fatal(err)
			}
			if len(d) > 0 {
				want = append(want, d)
			}
		}
		got, err := readAll(stream)
		if !errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("end of stream: %v, want io.EOF", err)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d datagrams, want %d", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("datagram %d differs", i)
			}
		}
	})
}

// FuzzFrameReader: any byte stream decodes without panic into datagrams of
// 1..maxFrameData bytes, and re-framing them decodes to the same.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 'x'})
	f.Add([]byte{0, 0, 0, 2, 'a', 'b'})
	f.Add([]byte{0xff, 0xff, 1, 2, 3})
	f.Add([]byte{0, 5, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := readAll(b)
		if err == nil {
			t.Fatal("readAll ended without an error")
		}
		var again []byte
		for _, d := range got {
			if len(d) == 0 || len(d) > maxFrameData {
				t.Fatalf("datagram of %d bytes", len(d))
			}
			again, _ = AppendFrame(again, d)
		}
		back, err := readAll(again)
		if !errors.Is(err, io.EOF) || len(back) != len(got) {
			t.Fatalf("re-framed: %d datagrams (%v), want %d", len(back), err, len(got))
		}
		for i := range got {
			if !bytes.Equal(back[i], got[i]) {
				t.Fatalf("re-framed datagram %d differs", i)
			}
		}
	})
}
