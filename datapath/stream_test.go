package datapath

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// waitBound bounds waits for goroutines that answer in microseconds.
const waitBound = 5 * time.Second

// streamPair returns a StreamPath over one end of an in-memory stream and
// the other end, which the test drives by hand.
func streamPair(t *testing.T) (*StreamPath, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	p := NewStreamPath(a, StreamAddr{Name: "test", ID: 1})
	t.Cleanup(func() { _ = p.Close(); _ = b.Close() })
	return p, b
}

// checkGoroutines fails the test if goroutines started during it are
// still running at its end.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(waitBound)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines left running (%d before):\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	})
}

func TestStreamPathBothWays(t *testing.T) {
	checkGoroutines(t)
	p, peer := streamPair(t)
	if err := p.Send([]byte("to peer")); err != nil {
		t.Fatal(err)
	}
	fr := NewFrameReader(peer)
	if d, err := fr.Next(); err != nil || string(d) != "to peer" {
		t.Fatalf("peer read %q, %v", d, err)
	}
	frame, _ := AppendFrame(nil, []byte("from peer"))
	if _, err := peer.Write(frame); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-p.Incoming():
		if string(d.Data) != "from peer" || d.From != (StreamAddr{Name: "test", ID: 1}) {
			t.Fatalf("got %q from %v", d.Data, d.From)
		}
	case <-time.After(waitBound):
		t.Fatal("no datagram arrived")
	}
}

// A peer that stops reading (a full SSH window) must not block Send, and
// when it reads again it gets the newest datagrams: the oldest were dropped.
func TestStreamPathDropsOldestWhenBlocked(t *testing.T) {
	checkGoroutines(t)
	p, peer := streamPair(t)
	const n = 1000
	start := time.Now()
	for i := range n {
		if err := p.Send(fmt.Appendf(nil, "d%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el > waitBound {
		t.Fatalf("Send blocked: %d sends took %v", n, el)
	}
	if p.droppedDatagrams() == 0 {
		t.Fatal("nothing dropped although the peer read nothing")
	}
	fr := NewFrameReader(peer)
	var got []string
	for {
		d, err := fr.Next()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(d))
		if string(d) == fmt.Sprintf("d%04d", n-1) {
			break
		}
	}
	// At most one coalesced write (one queue's worth) was in flight when
	// the queue filled, plus the queue itself.
	if len(got) > 2*streamQueueDatagrams {
		t.Fatalf("peer read %d datagrams, want at most %d", len(got), 2*streamQueueDatagrams)
	}
	if uint64(n-len(got)) != p.droppedDatagrams() {
		t.Errorf("dropped %d, but %d of %d arrived", p.droppedDatagrams(), len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("out of order: %q after %q", got[i], got[i-1])
		}
	}
}

func TestStreamPathByteBound(t *testing.T) {
	checkGoroutines(t)
	p, _ := streamPair(t)
	big := make([]byte, 60<<10)
	for range 20 {
		if err := p.Send(big); err != nil {
			t.Fatal(err)
		}
	}
	p.mu.Lock()
	queued := p.queued
	p.mu.Unlock()
	if queued > streamQueueBytes {
		t.Fatalf("%d bytes queued, bound is %d", queued, streamQueueBytes)
	}
	if err := p.Send(make([]byte, maxFrameData+1)); !errors.Is(err, errFrameTooBig) {
		t.Fatalf("oversize Send: %v", err)
	}
}

func TestStreamPathPeerEnds(t *testing.T) {
	checkGoroutines(t)
	p, peer := streamPair(t)
	_ = peer.Close()
	select {
	case <-p.Dead():
	case <-time.After(waitBound):
		t.Fatal("Dead did not fire after the peer closed")
	}
	if err := p.Send([]byte("x")); !errors.Is(err, errStreamDead) {
		t.Fatalf("Send after the end: %v, want ErrStreamDead", err)
	}
	if !errors.Is(p.endErr(), io.EOF) && !errors.Is(p.endErr(), io.ErrClosedPipe) {
		t.Errorf("Err = %v", p.endErr())
	}
	// Incoming stays open until Close: a lost SSH connection is not the
	// end of the session.
	select {
	case _, ok := <-p.Incoming():
		if !ok {
			t.Fatal("Incoming closed before Close")
		}
	default:
	}
	_ = p.Close()
	if _, ok := <-p.Incoming(); ok {
		t.Fatal("Incoming still open after Close")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// Close must end the path even while its writer is blocked in a write the
// peer never reads.
func TestStreamPathCloseWhileBlocked(t *testing.T) {
	checkGoroutines(t)
	p, peer := streamPair(t)
	_ = p.Send(bytes.Repeat([]byte{1}, 100))
	// Wait until the writer took the datagram: it is then blocked in
	// net.Pipe, which nobody reads.
	for deadline := time.Now().Add(waitBound); ; {
		p.mu.Lock()
		n := len(p.queue)
		p.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never took the datagram")
		}
		runtime.Gosched()
	}
	done := make(chan struct{})
	go func() { _ = p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitBound):
		t.Fatal("Close hung on a blocked writer")
	}
	_ = peer.Close()
}
