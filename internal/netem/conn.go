package netem

import (
	"net"
	"sync"
	"time"
)

// Conn is a net.PacketConn whose writes are impaired: each datagram passed
// to WriteTo is lost, delayed, duplicated or reordered before it reaches the
// wrapped conn. Reads pass through. Wrap both ends of a Pipe to impair both
// directions.
type Conn struct {
	net.PacketConn
	line *delayLine

	mu       sync.Mutex
	im       *Impairer
	blackout bool
	stats    dirCounters
}

var _ net.PacketConn = (*Conn)(nil)

// streamConn is the random stream of a wrapped conn.
const streamConn = 3

// Impair wraps pc. Its delay goroutine ends in Close, which also closes pc.
func Impair(pc net.PacketConn, c Config) (*Conn, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Conn{PacketConn: pc, line: newDelayLine(), im: NewImpairer(c, streamConn)}, nil
}

// WriteTo impairs b on its way to addr. It always reports success, as a
// lossy network gives the sender no sign; a closed Conn returns
// net.ErrClosed.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.line.isClosed() {
		return 0, net.ErrClosed
	}
	c.stats.received.Add(1)
	c.mu.Lock()
	v := c.im.Decide()
	if c.blackout {
		v.Copies = 0
	}
	c.mu.Unlock()
	if v.Copies == 0 {
		c.stats.dropped.Add(1)
		return len(b), nil
	}
	c.stats.duplicated.Add(uint64(v.Copies - 1))
	data := append([]byte(nil), b...)
	now := time.Now()
	for i := range v.Copies {
		ok := c.line.push(now.Add(v.Delays[i]), func() {
			if _, err := c.PacketConn.WriteTo(data, addr); err != nil {
				c.stats.dropped.Add(1)
				return
			}
			c.stats.forwarded.Add(1)
		})
		if !ok {
			c.stats.dropped.Add(1)
		}
	}
	return len(b), nil
}

// SetConfig changes the impairment from the next datagram on; out-of-range
// values are clamped.
func (c *Conn) SetConfig(cfg Config) {
	c.mu.Lock()
	c.im.SetConfig(cfg.clamped(), streamConn)
	c.mu.Unlock()
}

// Blackout drops every datagram written while on.
func (c *Conn) Blackout(on bool) {
	c.mu.Lock()
	c.blackout = on
	c.mu.Unlock()
}

// Stats counts the datagrams written (Received), sent on (Forwarded),
// dropped and duplicated.
func (c *Conn) Stats() DirStats { return c.stats.snapshot() }

// Close discards datagrams still delayed, stops the delay goroutine and
// closes the wrapped conn.
func (c *Conn) Close() error {
	c.line.close()
	return c.PacketConn.Close()
}
