package netem

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// TCPProxy forwards TCP connections to a target with one-way delay (and
// jitter that never reorders bytes) in each direction.
type TCPProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	im     *Impairer
	pairs  map[*tcpPair]struct{}
	closed bool

	wg sync.WaitGroup
}

// streamTCP is the random stream of a TCP proxy's jitter.
const streamTCP = 4

// tcpChunks is how many read chunks may wait in one direction's delay line
// before the reader stops reading (and TCP flow control pushes back).
const tcpChunks = 256

// tcpDialTimeout bounds the connection to the target.
const tcpDialTimeout = 5 * time.Second

// NewTCPProxy listens on listen ("127.0.0.1:0" picks a port) and forwards
// each accepted connection to target. Only Delay and Jitter apply.
func NewTCPProxy(listen, target string, c Config) (*TCPProxy, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("netem: %w", err)
	}
	p := &TCPProxy{ln: ln, target: target, im: NewImpairer(delayOnly(c), streamTCP), pairs: make(map[*tcpPair]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// delayOnly keeps what applies to a byte stream.
func delayOnly(c Config) Config {
	return Config{Delay: c.Delay, Jitter: c.Jitter, Seed: c.Seed}
}

// Addr is where clients connect.
func (p *TCPProxy) Addr() *net.TCPAddr { return p.ln.Addr().(*net.TCPAddr) }

// SetConfig changes the delay for bytes read from now on.
func (p *TCPProxy) SetConfig(c Config) {
	p.mu.Lock()
	p.im.SetConfig(delayOnly(c.clamped()), streamTCP)
	p.mu.Unlock()
}

// DropAll closes every proxied connection (both sides), as when a network
// change kills an SSH connection. New connections are still accepted.
func (p *TCPProxy) DropAll() {
	p.mu.Lock()
	pairs := make([]*tcpPair, 0, len(p.pairs))
	for tp := range p.pairs {
		pairs = append(pairs, tp)
	}
	p.mu.Unlock()
	for _, tp := range pairs {
		tp.close()
	}
}

// Conns is the number of proxied connections open now.
func (p *TCPProxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// Close stops accepting, drops every connection and waits for all
// goroutines. Safe to repeat.
func (p *TCPProxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.DropAll()
	p.wg.Wait()
	return err
}

func (p *TCPProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// delay draws the delay for one chunk.
func (p *TCPProxy) delay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.im.Decide().Delays[0]
}

// tcpPair is one proxied connection.
type tcpPair struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{}
}

func (tp *tcpPair) close() {
	tp.once.Do(func() {
		close(tp.done)
		tp.client.Close()
		tp.server.Close()
	})
}

// serve dials the target for client c and runs both directions.
func (p *TCPProxy) serve(c net.Conn) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", p.target, tcpDialTimeout)
	if err != nil {
		c.Close()
		return
	}
	tp := &tcpPair{client: c, server: s, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		tp.close()
		return
	}
	p.pairs[tp] = struct{}{}
	p.mu.Unlock()

	var dirs sync.WaitGroup
	for _, d := range [][2]net.Conn{{c, s}, {s, c}} {
		ch := make(chan tcpChunk, tcpChunks)
		dirs.Add(2)
		go func() { defer dirs.Done(); p.readChunks(tp, d[0], ch) }()
		go func() { defer dirs.Done(); p.writeChunks(tp, d[1], ch) }()
	}
	dirs.Wait()
	tp.close()
	p.mu.Lock()
	delete(p.pairs, tp)
	p.mu.Unlock()
}

// tcpChunk is bytes read at one time, due at the far side at due; eof marks
// the end of the stream.
type tcpChunk struct {
	due  time.Time
	data []byte
	eof  bool
}

// readChunks reads src and queues each chunk with its due time. Due times
// never decrease, so jitter cannot reorder bytes.
func (p *TCPProxy) readChunks(tp *tcpPair, src net.Conn, ch chan<- tcpChunk) {
	defer close(ch)
	var last time.Time
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			due := time.Now().Add(p.delay())
			if due.Before(last) {
				due = last
			}
			last = due
			select {
			case ch <- tcpChunk{due: due, data: buf[:n]}:
			case <-tp.done:
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				select {
				case ch <- tcpChunk{due: last, eof: true}:
				case <-tp.done:
				}
			} else {
				tp.close()
			}
			return
		}
	}
}

// writeChunks writes each chunk to dst when it is due; at the end of the
// stream it half-closes dst, so a peer's EOF arrives after the delay too.
func (p *TCPProxy) writeChunks(tp *tcpPair, dst net.Conn, ch <-chan tcpChunk) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for c := range ch {
		if wait := time.Until(c.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-tp.done:
				return
			}
		}
		if c.eof {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			return
		}
		if _, err := dst.Write(c.data); err != nil {
			tp.close()
			return
		}
	}
}
