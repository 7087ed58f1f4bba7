package datapath

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/ssh-mosh/ssh-mosh/roam"
)

// StreamPath carries the session's datagrams over a byte stream: an SSH
// channel (a relay's stdin/stdout, or a direct-streamlocal channel to our
// server's unix socket), or the server's end of that unix socket. Each
// datagram is one frame (frame.go).
//
// A stream, unlike UDP, can block: when the SSH window is full, a write
// waits for the peer. The transport's timers must never wait with it, so
// Send only queues; a writer goroutine owned by the path drains the queue,
// and when the queue is full the oldest datagram is dropped — the
// transport resends state, not datagrams, so the newest datagram is the one
// worth keeping.
//
// When the stream ends (EOF, a dead SSH connection) the path is Dead:
// Send fails and nothing more arrives, but Incoming stays open until Close,
// so a session loop does not mistake a lost SSH connection for its own end.
type StreamPath struct {
	rwc  io.ReadWriteCloser
	from net.Addr
	in   chan roam.Datagram

	mu      sync.Mutex
	queue   [][]byte
	queued  int // bytes in queue
	wake    chan struct{}
	closed  bool
	deadErr error

	dropped atomic.Uint64
	dead    chan struct{}
	dieOnce sync.Once
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

var _ roam.Path = (*StreamPath)(nil)

// Bounds of a stream path's send queue: about a second of a busy session
// (a full screen redraw is a handful of datagrams).
const (
	streamQueueDatagrams = 64
	streamQueueBytes     = 256 << 10
)

// errStreamDead is returned by Send once the stream has ended.
var errStreamDead = errors.New("datapath: the stream path has ended")

// StreamAddr names a stream path in Datagram.From.
type StreamAddr struct {
	Name string // e.g. "ssh", "unix"
	ID   uint64 // distinguishes successive streams
}

// Network implements net.Addr.
func (a StreamAddr) Network() string { return "stream" }

func (a StreamAddr) String() string { return fmt.Sprintf("%s#%d", a.Name, a.ID) }

// NewStreamPath starts a path over rwc, which it owns and closes. from is
// the address its datagrams report.
func NewStreamPath(rwc io.ReadWriteCloser, from net.Addr) *StreamPath {
	p := &StreamPath{
		rwc:  rwc,
		from: from,
		in:   make(chan roam.Datagram, 64),
		wake: make(chan struct{}, 1),
		dead: make(chan struct{}),
		done: make(chan struct{}),
	}
	p.wg.Add(2)
	go p.readLoop()
	go p.writeLoop()
	return p
}

// Send implements roam.Path: it queues b (copied) for the writer and never
// blocks.
func (p *StreamPath) Send(b []byte) error {
	if len(b) > maxFrameData {
		return fmt.Errorf("%w: %d bytes", errFrameTooBig, len(b))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return net.ErrClosed
	}
	if p.deadErr != nil {
		return fmt.Errorf("%w: %w", errStreamDead, p.deadErr)
	}
	p.queue = append(p.queue, append([]byte(nil), b...))
	p.queued += len(b)
	for len(p.queue) > 1 && (len(p.queue) > streamQueueDatagrams || p.queued > streamQueueBytes) {
		p.queued -= len(p.queue[0])
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.dropped.Add(1)
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Incoming implements roam.Path. It is closed after Close.
func (p *StreamPath) Incoming() <-chan roam.Datagram { return p.in }

// Dead is closed when the stream has ended (or Close was called).
func (p *StreamPath) Dead() <-chan struct{} { return p.dead }

// endErr is why the stream ended (nil while it works).
func (p *StreamPath) endErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deadErr
}

// droppedDatagrams counts datagrams dropped because the queue was full.
func (p *StreamPath) droppedDatagrams() uint64 { return p.dropped.Load() }

// Close implements roam.Path: it closes the stream, waits for both
// goroutines and closes Incoming. Datagrams still queued are discarded.
func (p *StreamPath) Close() error {
	var err error
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.done)
		err = p.rwc.Close()
		p.die(net.ErrClosed)
		p.wg.Wait()
		close(p.in)
	})
	return err
}

// die records the end of the stream once.
func (p *StreamPath) die(err error) {
	p.dieOnce.Do(func() {
		if err == nil {
			err = io.EOF
		}
		p.mu.Lock()
		p.deadErr = err
		p.queue, p.queued = nil, 0
		p.mu.Unlock()
		close(p.dead)
	})
}

// readLoop delivers frames until the stream ends or Close.
func (p *StreamPath) readLoop() {
	defer p.wg.Done()
	fr := NewFrameReader(p.rwc)
	for {
		d, err := fr.Next()
		if err != nil {
			p.die(err)
			// The writer may be blocked in a write the peer will never
			// read; closing the stream releases it.
			_ = p.rwc.Close()
			return
		}
		dg := roam.Datagram{Data: append([]byte(nil), d...), From: p.from}
		select {
		case p.in <- dg:
		case <-p.done:
			return
		}
	}
}

// writeLoop writes queued datagrams, coalescing what is queued into one
// write, until Close or a write error.
func (p *StreamPath) writeLoop() {
	defer p.wg.Done()
	var buf []byte
	for {
		select {
		case <-p.done:
			return
		case <-p.dead:
			return
		case <-p.wake:
		}
		p.mu.Lock()
		q := p.queue
		p.queue, p.queued = nil, 0
		p.mu.Unlock()
		buf = buf[:0]
		for _, d := range q {
			buf, _ = AppendFrame(buf, d) // sizes were checked by Send
		}
		if len(buf) == 0 {
			continue
		}
		if _, err := p.rwc.Write(buf); err != nil {
			p.die(err)
			_ = p.rwc.Close()
			return
		}
	}
}
