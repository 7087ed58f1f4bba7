//go:build !linux

package nbio

import (
	"net"
	"os"
	"syscall"
	"time"
)

// watch is Linux's (watch_linux.go); here nothing is taken: kqueue
// registers reading and writing as separate filters.
type watch struct{}

// TakeFile is NewFile here. It takes f all the same: from then on the File
// is the descriptor's owner (Close, SetReadDeadline, Control).
func TakeFile(f *os.File) (*File, error) { return NewFile(f) }

// TakeUDP is NewUDP here. It takes c all the same: from then on the UDP is
// the socket's owner, as a net.PacketConn.
func TakeUDP(c *net.UDPConn) (*UDP, error) { return NewUDP(c) }

func (p *waiter) readConn() (syscall.RawConn, error)                             { return p.rc, nil }
func (p *waiter) dataFD(fd uintptr) int                                          { return int(fd) }
func (p *waiter) bindRead(step func(uintptr) bool) func(uintptr) bool            { return step }
func (p *waiter) waitWrite(run func(uintptr) bool) error                         { return p.rc.Write(run) }
func (p *waiter) control(fn func(fd uintptr)) error                              { return p.rc.Control(fn) }
func (p *waiter) closeTaken() (bool, error)                                      { return false, nil }
func (p *waiter) setDeadline(time.Time, bool, bool) (bool, error)                { return false, nil }
func (p *waiter) bindWrite(step func(uintptr) bool, _ *error) func(uintptr) bool { return step }
