package netem

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// maxClients bounds the upstream sockets (and their reader goroutines) one
// proxy opens; datagrams from further client addresses are dropped.
const maxClients = 64

// Direction streams for the two impairers, so that both directions of one
// seed draw different random sequences.
const (
	streamUp   = 1 // client → target
	streamDown = 2 // target → client
)

// DirStats counts datagrams in one direction.
type DirStats struct {
	Received   uint64 // datagrams that entered the proxy
	Forwarded  uint64 // datagrams written out, duplicates included
	Dropped    uint64 // lost to Loss, blackout, a full queue or a write error
	Duplicated uint64 // extra copies made
}

// Stats counts datagrams per direction: Up is client to target, Down is
// target to client.
type Stats struct{ Up, Down DirStats }

type dirCounters struct{ received, forwarded, dropped, duplicated atomic.Uint64 }

func (c *dirCounters) snapshot() DirStats {
	return DirStats{c.received.Load(), c.forwarded.Load(), c.dropped.Load(), c.duplicated.Load()}
}

// Proxy is a UDP proxy on loopback that impairs traffic between clients and
// one target. Datagrams from a client go to the target from an upstream
// socket of that client's own; replies come back to the client's address.
type Proxy struct {
	lc     *net.UDPConn
	target *net.UDPAddr
	line   *delayLine

	mu       sync.Mutex
	cfg      Config
	up, down *Impairer
	blackout bool
	clients  map[string]*udpClient
	closed   bool

	upStats, downStats dirCounters

	wg sync.WaitGroup // reader goroutines
}

// udpClient is one client address and its upstream socket.
type udpClient struct {
	addr     *net.UDPAddr
	upstream atomic.Pointer[net.UDPConn]
}

// NewUDPProxy listens on listen (a loopback "host:port"; port 0 picks one)
// and forwards to target.
func NewUDPProxy(listen string, target *net.UDPAddr, c Config) (*Proxy, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if target == nil {
		return nil, errors.New("netem: nil target")
	}
	la, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen address: %w", err)
	}
	lc, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	p := &Proxy{
		lc:      lc,
		target:  target,
		line:    newDelayLine(),
		cfg:     c,
		up:      NewImpairer(c, streamUp),
		down:    NewImpairer(c, streamDown),
		clients: make(map[string]*udpClient),
	}
	p.wg.Add(1)
	go p.readClients()
	return p, nil
}

// Addr is where clients send.
func (p *Proxy) Addr() *net.UDPAddr { return p.lc.LocalAddr().(*net.UDPAddr) }

// SetConfig changes the impairment live, from the next datagram on (e.g.
// Loss 1 for a one-way outage). Out-of-range values are clamped.
func (p *Proxy) SetConfig(c Config) {
	c = c.clamped()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = c
	p.up.SetConfig(c, streamUp)
	p.down.SetConfig(c, streamDown)
}

// Blackout drops everything both ways while on, including datagrams already
// queued in the delay line when they come due.
func (p *Proxy) Blackout(on bool) {
	p.mu.Lock()
	p.blackout = on
	p.mu.Unlock()
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	return Stats{Up: p.upStats.snapshot(), Down: p.downStats.snapshot()}
}

// Rebind gives every client a new upstream socket, so the target sees the
// client "roam" to a new source port, as after a NAT rebinding. Replies the
// target still sends to the old port are lost.
func (p *Proxy) Rebind() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return net.ErrClosed
	}
	for _, cl := range p.clients {
		uc, err := p.dialUpstream()
		if err != nil {
			return err
		}
		old := cl.upstream.Swap(uc)
		p.startUpstreamReader(cl, uc)
		old.Close() // its reader ends with net.ErrClosed
	}
	return nil
}

// Close stops all goroutines and waits for them. Safe to repeat.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.lc.Close()
	for _, cl := range p.clients {
		cl.upstream.Load().Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.line.close()
	return err
}

// dialUpstream opens an unconnected socket on the target's loopback family.
func (p *Proxy) dialUpstream() (*net.UDPConn, error) {
	la := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	if p.target.IP.To4() == nil {
		la = &net.UDPAddr{IP: net.IPv6loopback}
	}
	uc, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("upstream socket: %w", err)
	}
	return uc, nil
}

// startUpstreamReader runs the goroutine that carries replies from uc back
// to the client. Called with p.mu held.
func (p *Proxy) startUpstreamReader(cl *udpClient, uc *net.UDPConn) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, _, err := uc.ReadFromUDP(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // e.g. ICMP port unreachable reported as ECONNREFUSED
			}
			p.forward(&p.downStats, p.down, buf[:n], func(b []byte) error {
				_, err := p.lc.WriteToUDP(b, cl.addr)
				return err
			})
		}
	}()
}

// client finds or creates the client for addr; nil if the proxy is full
// or closed.
func (p *Proxy) client(addr *net.UDPAddr) *udpClient {
	key := addr.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	if cl := p.clients[key]; cl != nil || p.closed {
		return cl
	}
	if len(p.clients) >= maxClients {
		return nil
	}
	uc, err := p.dialUpstream()
	if err != nil {
		return nil
	}
	cl := &udpClient{addr: addr}
	cl.upstream.Store(uc)
	p.clients[key] = cl
	p.startUpstreamReader(cl, uc)
	return cl
}

func (p *Proxy) readClients() {
	defer p.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, addr, err := p.lc.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		cl := p.client(addr)
		if cl == nil {
			p.upStats.received.Add(1)
			p.upStats.dropped.Add(1)
			continue
		}
		p.forward(&p.upStats, p.up, buf[:n], func(b []byte) error {
			// The upstream socket is looked up at send time, so datagrams
			// queued before a Rebind leave from the new port.
			_, err := cl.upstream.Load().WriteToUDP(b, p.target)
			return err
		})
	}
}

// forward decides the fate of one datagram and queues its copies.
func (p *Proxy) forward(st *dirCounters, im *Impairer, b []byte, send func([]byte) error) {
	st.received.Add(1)
	p.mu.Lock()
	v := im.Decide()
	if p.blackout {
		v.Copies = 0
	}
	p.mu.Unlock()
	if v.Copies == 0 {
		st.dropped.Add(1)
		return
	}
	if v.Copies > 1 {
		st.duplicated.Add(uint64(v.Copies - 1))
	}
	data := append([]byte(nil), b...)
	now := time.Now()
	for i := range v.Copies {
		ok := p.line.push(now.Add(v.Delays[i]), func() {
			p.mu.Lock()
			dark := p.blackout
			p.mu.Unlock()
			if dark || send(data) != nil {
				st.dropped.Add(1)
				return
			}
			st.forwarded.Add(1)
		})
		if !ok {
			st.dropped.Add(1)
		}
	}
}
