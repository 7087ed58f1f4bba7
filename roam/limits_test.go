package roam

import (
	"errors"
	"testing"
	"time"
)

func TestSentStatesLimit(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	iv := p.client.SendInterval()
	for i := range 40 {
		p.advance(iv)
		p.client.Current().push(string(rune('a' + i%26)))
		p.tickClient() // never delivered: nothing is acked
		if n := len(p.client.snd.sent); n > sentStatesLimit {
			t.Fatalf("%d sent states", n)
		}
	}
	sent := p.client.snd.sent
	if sent[0].num != 1 {
		t.Fatalf("front %d, want the acked state 1", sent[0].num)
	}
	// Each overflow erased the 16th-newest entry, so the newest 15 are
	// contiguous and a gap sits just before them.
	last := sent[len(sent)-1].num
	if len(sent) != sentStatesLimit {
		t.Fatalf("%d states, want %d", len(sent), sentStatesLimit)
	}
	if got := sent[len(sent)-sentStatesErase].num; got >= last-uint64(sentStatesErase-1) {
		t.Fatalf("16th-newest is %d, want an older state before a gap", got)
	}
	for i := 0; i < sentStatesErase-1; i++ {
		if got := sent[len(sent)-1-i].num; got != last-uint64(i) {
			t.Fatalf("recent state %d is %d, want %d", i, got, last-uint64(i))
		}
	}
	if p.client.snd.assumed >= len(sent) {
		t.Fatal("assumed index out of range")
	}
}

func TestThrowawayAboveOldNumRejected(t *testing.T) {
	r := newReceiver(&logState{}, t0)
	c, err := r.prepare(0, 1, 0, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	r.commit(c, t0)
	if _, err := r.prepare(0, 2, 1, []byte("b")); !errors.Is(err, ErrProtocol) {
		t.Fatalf("throwaway 1 > old 0: err %v, want ErrProtocol", err)
	}
	if _, err := r.prepare(1, 2, 5, nil); !errors.Is(err, ErrProtocol) {
		t.Fatalf("throwaway 5 > new: err %v", err)
	}
	if len(r.states) != 2 {
		t.Fatalf("rejected instructions changed the queue: %d states", len(r.states))
	}
	// A legal throwaway discards the older states.
	c, err = r.prepare(1, 2, 1, []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	r.commit(c, t0)
	if len(r.states) != 2 || r.states[0].num != 1 {
		t.Fatalf("after throwaway 1: %d states, oldest %d", len(r.states), r.states[0].num)
	}
	var nn nothingNew
	if _, err := r.prepare(0, 3, 0, nil); !errors.As(err, &nn) {
		t.Fatalf("discarded reference: %v", err)
	}
	if _, err := r.prepare(1, 2, 0, nil); !errors.As(err, &nn) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestReceivedStatesQuench(t *testing.T) {
	r := newReceiver(&logState{}, t0)
	now := t0
	add := func(num uint64) bool {
		c, err := r.prepare(0, num, 0, []byte{'x'})
		if err != nil {
			t.Fatalf("prepare %d: %v", num, err)
		}
		added, _ := r.commit(c, now)
		return added
	}
	for n := uint64(1); n <= receivedStatesLimit; n++ {
		if !add(n) {
			t.Fatalf("state %d refused below the limit", n)
		}
	}
	if len(r.states) != receivedStatesLimit+1 {
		t.Fatalf("%d states", len(r.states))
	}
	if !add(receivedStatesLimit + 1) {
		t.Fatal("first state beyond the limit refused (mosh lets one through and starts the quench)")
	}
	if add(receivedStatesLimit + 2) {
		t.Fatal("second state within the quench accepted")
	}
	now = now.Add(receiverQuench - time.Millisecond)
	if add(receivedStatesLimit + 3) {
		t.Fatal("accepted before the quench ended")
	}
	now = now.Add(time.Millisecond)
	if !add(receivedStatesLimit + 4) {
		t.Fatal("refused after the quench")
	}
}

func TestOutOfOrderStateInsertedInPlace(t *testing.T) {
	r := newReceiver(&valState{}, t0)
	for _, n := range []uint64{1, 3, 2} {
		c, err := r.prepare(0, n, 0, []byte{'S', byte('0' + n)})
		if err != nil {
			t.Fatal(err)
		}
		added, newest := r.commit(c, t0)
		if !added || newest != (n != 2) {
			t.Fatalf("state %d: added %v newest %v", n, added, newest)
		}
	}
	for i, want := range []uint64{0, 1, 2, 3} {
		if r.states[i].num != want {
			t.Fatalf("order %v", r.states)
		}
	}
	if string(r.newest().state.v) != "3" {
		t.Fatalf("newest %q", r.newest().state.v)
	}
}
