package main

import (
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// wireWatch is a UDP relay between a client and a mosh server on
// 127.0.0.1 that decrypts what passes with the session key and records the
// ssh-mosh extensions it sees on the wire: which client states offered
// extensions, and which server states carried an exit status. It changes
// nothing it forwards. Both goroutines end at cleanup.
type wireWatch struct {
	lc, uc *net.UDPConn

	mu         sync.Mutex
	client     *net.UDPAddr
	offers     []uint64          // features of every offer seen (client → server)
	exits      []wire.ExitStatus // every exit status seen (server → client)
	histories  int               // history instructions seen (server → client)
	toServer   int               // authentic datagrams each way
	toClient   int
	diffErrors []error // diffs that did not parse
}

func newWireWatch(t *testing.T, serverPort int, keyText string) *wireWatch {
	t.Helper()
	key, err := wire.ParseKey(keyText)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	uc, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: serverPort})
	if err != nil {
		_ = lc.Close()
		t.Fatal(err)
	}
	w := &wireWatch{lc: lc, uc: uc}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		w.relay(key, wire.ToServer, func(b []byte, from *net.UDPAddr) {
			w.mu.Lock()
			w.client = from
			w.mu.Unlock()
			_, _ = uc.Write(b)
		}, lc)
	}()
	go func() {
		defer wg.Done()
		w.relay(key, wire.ToClient, func(b []byte, _ *net.UDPAddr) {
			w.mu.Lock()
			to := w.client
			w.mu.Unlock()
			if to != nil {
				_, _ = lc.WriteToUDP(b, to)
			}
		}, uc)
	}()
	t.Cleanup(func() {
		_ = lc.Close()
		_ = uc.Close()
		wg.Wait()
	})
	return w
}

// Port is where the client should send.
func (w *wireWatch) Port() int { return w.lc.LocalAddr().(*net.UDPAddr).Port }

// relay reads datagrams from c until it closes, records what they carry
// in direction dir, and forwards each with fwd.
func (w *wireWatch) relay(key wire.Key, dir wire.Direction, fwd func([]byte, *net.UDPAddr), c *net.UDPConn) {
	sess, err := wire.NewSession(key)
	if err != nil {
		return
	}
	var asm wire.Assembler
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		dg := append([]byte(nil), buf[:n]...)
		w.observe(sess, &asm, dir, dg)
		fwd(dg, from)
	}
}

func (w *wireWatch) observe(sess *wire.Session, asm *wire.Assembler, dir wire.Direction, dg []byte) {
	d, _, pt, err := sess.Open(nil, dg)
	if err != nil || d != dir {
		return
	}
	pkt, err := wire.ParsePacket(pt)
	if err != nil {
		return
	}
	fr, err := wire.ParseFragment(pkt.Payload)
	if err != nil {
		return
	}
	in, err := asm.Add(fr)
	w.mu.Lock()
	defer w.mu.Unlock()
	if dir == wire.ToServer {
		w.toServer++
	} else {
		w.toClient++
	}
	if err != nil || in == nil || len(in.Diff) == 0 {
		return
	}
	if dir == wire.ToServer {
		ins, err := wire.ParseUserMessage(in.Diff)
		if err != nil {
			w.diffErrors = append(w.diffErrors, err)
		}
		for _, i := range ins {
			if i.Kind == wire.UserExtensionOffer {
				w.offers = append(w.offers, i.Features)
			}
		}
		return
	}
	ins, err := wire.ParseHostMessage(in.Diff)
	if err != nil {
		w.diffErrors = append(w.diffErrors, err)
	}
	for _, i := range ins {
		if i.Kind == wire.HostExitStatus {
			w.exits = append(w.exits, i.Exit)
		}
		if i.Kind == wire.HostHistory {
			w.histories++
		}
	}
}

// historiesSeen is how many history instructions reached the client.
func (w *wireWatch) historiesSeen() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.histories
}

// seen returns what was recorded so far.
func (w *wireWatch) seen() (offers []uint64, exits []wire.ExitStatus, toServer, toClient int, diffErrors []error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]uint64(nil), w.offers...), append([]wire.ExitStatus(nil), w.exits...), w.toServer, w.toClient,
		append([]error(nil), w.diffErrors...)
}
