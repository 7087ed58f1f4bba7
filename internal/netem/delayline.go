package netem

import (
	"container/heap"
	"sync"
	"time"
)

// delayLine runs send functions at their due times from one goroutine, in
// due-time order and first-in, first-out among equal times. Close stops the
// goroutine and discards what is still queued.
type delayLine struct {
	mu     sync.Mutex
	q      dueHeap
	seq    uint64
	closed bool

	wake chan struct{} // buffered 1: a push never blocks
	done chan struct{}
	wg   sync.WaitGroup
}

type dueItem struct {
	due  time.Time
	seq  uint64
	send func()
}

type dueHeap []dueItem

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = dueItem{}
	*h = old[:len(old)-1]
	return it
}

// maxQueued bounds the datagrams waiting in one delay line; beyond it new
// ones are dropped, as a full router queue would.
const maxQueued = 1 << 16

func newDelayLine() *delayLine {
	d := &delayLine{wake: make(chan struct{}, 1), done: make(chan struct{})}
	d.wg.Add(1)
	go d.run()
	return d
}

// push schedules send at due. It reports false if the line is closed or
// full (the datagram is lost).
func (d *delayLine) push(due time.Time, send func()) bool {
	d.mu.Lock()
	if d.closed || len(d.q) >= maxQueued {
		d.mu.Unlock()
		return false
	}
	d.seq++
	heap.Push(&d.q, dueItem{due: due, seq: d.seq, send: send})
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return true
}

func (d *delayLine) run() {
	defer d.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		var wait time.Duration = -1
		var ready []func()
		now := time.Now()
		for len(d.q) > 0 {
			if top := d.q[0]; top.due.After(now) {
				wait = top.due.Sub(now)
				break
			}
			ready = append(ready, heap.Pop(&d.q).(dueItem).send)
		}
		d.mu.Unlock()
		for _, send := range ready {
			send()
		}
		if len(ready) > 0 {
			continue // sending took time; look again
		}
		var tc <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-d.done:
			return
		case <-d.wake:
		case <-tc:
		}
	}
}

// close stops the goroutine and waits for it. Safe to repeat.
func (d *delayLine) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.q = nil
	d.mu.Unlock()
	close(d.done)
	d.wg.Wait()
}

func (d *delayLine) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}
