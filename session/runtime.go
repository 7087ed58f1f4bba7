package session

import (
	"runtime"
	"runtime/debug"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
	"github.com/ssh-mosh/ssh-mosh/roam"
)

// OneProc makes the Go runtime run goroutines on one thread at a time
// (GOMAXPROCS 1), for a process whose work is one session loop. The loop
// and the goroutines that feed it (socket, terminal, pty readers) then hand
// over on the same thread: a keystroke or a datagram wakes one thread, not
// a second one to run the loop and a third that spins looking for work, and
// an idle session has no idle processors to wake. Setting it also stops the
// runtime's once-a-second re-reading of the cgroup's CPU limit. Only the
// binaries call it: it is a process-wide setting.
func OneProc() { runtime.GOMAXPROCS(1) }

// clock is a loop's time: its reading and its wake-up timer.
type clock struct {
	now      func() time.Time
	newTimer func() (roam.Timer, error) // nil: a time.Timer
}

// osClock is the binaries' clock: the wake-up timer waits in the poller
// where the system has such a timer (nbio.Timer), so an idle session's
// heartbeats wake one thread, not also the runtime's monitor. Tests use
// clock{now: time.Now}: a fake clock drives only runtime timers.
func osClock() clock {
	return clock{now: time.Now, newTimer: func() (roam.Timer, error) {
		t, err := nbio.NewTimer()
		if err != nil {
			return nil, err
		}
		return t, nil
	}}
}

// WarmHeap grows the Go heap by n bytes of touched memory and frees it, so
// that the session's first keystrokes find their heap pages resident. Left
// alone, the heap grows to its working size over the first few hundred
// keystrokes, and each new page is a page fault on the keystroke's path
// (several per key at each end, 10-15 µs each on some virtual machines).
// The bytes come back to the heap at once (runtime.GC), where the next
// allocations reuse them.
//
// No collection may run while the bytes are in use. The runtime's scavenger
// returns free pages to the system beyond 1.1 times the heap in use at the
// last collection's mark termination (gcPaceScavenger), and an unswept free
// block counts as in use there. The one collection here must therefore be
// the one that finds the bytes dead, still unswept: then the scavenger
// keeps them. The bytes alone pass the default heap goal (4 MiB), so with
// collection on, allocating them started one on its own; the forced one
// after it found a heap of almost nothing in use, and the scavenger gave
// the warmed pages back within a second of the start: for their first few
// hundred keys the client then faulted about three times per key and the
// server twice, as with no warm-up at all; with collection off while
// warming, a tenth to a third as often (typing into the real binaries, 300
// keys; TestWarmHeap). A later collection that finds little in use (the
// runtime forces one after two idle minutes) may still give pages back.
func WarmHeap(n int) {
	old := debug.SetGCPercent(-1)
	b := make([]byte, n)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	runtime.KeepAlive(b)
	b = nil
	debug.SetGCPercent(old)
	runtime.GC()
}
