//go:build !linux

package nbio

import (
	"os"
	"syscall"
	"time"
)

// watch is Linux's (take_linux.go); here a File never has one.
type watch struct{}

// TakeFile is NewFile here: kqueue registers reading and writing as
// separate filters. It takes f all the same: from then on the File is the
// descriptor's owner (Close, SetReadDeadline, Control).
func TakeFile(f *os.File) (*File, error) { return NewFile(f) }

func (f *File) readConn() (syscall.RawConn, error)     { return f.rc, nil }
func (f *File) dataFD(fd uintptr) int                  { return int(fd) }
func (f *File) waitWrite(run func(uintptr) bool) error { return f.rc.Write(run) }
func (f *File) closeFile() error                       { return f.f.Close() }
func (f *File) setReadDeadline(t time.Time) error      { return f.f.SetReadDeadline(t) }
func (f *File) control(fn func(fd uintptr)) error      { return f.rc.Control(fn) }
