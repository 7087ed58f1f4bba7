package roam

import "sync/atomic"

// Feed is an App's input source (the user's keys, a program's output)
// that its reader goroutine hands bytes through. When the loop is waiting
// and nothing the reader sent earlier is still unhandled, Send runs the
// loop's wake-up for the bytes on the reader's goroutine, as DirectPath
// does for datagrams; otherwise it sends them on C, where the loop takes
// them (the App gives the loop the Feed as Sources.Feed). Either way
// the loop handles the bytes in the order they were sent: Send goes
// direct only while no earlier send on C is unhandled.
type Feed struct {
	// C is the channel fallback; Close closes it.
	C       chan []byte
	recv    Receiver[[]byte]
	pending atomic.Int64 // sent on C and not yet handled by the loop
}

// NewFeed returns a Feed whose channel buffers buffer sends.
func NewFeed(buffer int) *Feed { return &Feed{C: make(chan []byte, buffer)} }

// Send hands b to the loop; b is copied, so the caller may reuse it. It
// blocks as a send on C does while the loop is busy and C is full.
func (f *Feed) Send(b []byte) {
	b = append([]byte(nil), b...)
	if f.recv.Deliver(b) {
		return
	}
	f.pending.Add(1)
	f.C <- b
}

// Close closes C: the end of the input, once the loop has taken what was
// sent before.
func (f *Feed) Close() { close(f.C) }

// handled is the loop's note that it handled one send taken from C.
func (f *Feed) handled() { f.pending.Add(-1) }
