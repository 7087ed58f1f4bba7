package main

import (
	"os"
	"testing"
)

// TestDupOnto: dupOnto has dup2's meaning on every system: newfd then reads
// what oldfd reads, and the same fd twice is a no-op, not an error.
func TestDupOnto(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	other, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := dupOnto(int(r.Fd()), int(other.Fd())); err != nil {
		t.Fatalf("dupOnto: %v", err)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if n, err := other.Read(buf); n != 1 || buf[0] != 'x' {
		t.Fatalf("read through the new fd: %q, %v; want the pipe's byte", buf[:n], err)
	}
	if err := dupOnto(int(r.Fd()), int(r.Fd())); err != nil {
		t.Errorf("dupOnto(fd, fd) = %v, want nil as dup2", err)
	}
}
