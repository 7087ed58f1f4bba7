package session

import (
	"runtime"
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
// They can be lost again: the runtime's scavenger releases free pages above
// 1.1 times the heap in use at the last collection (gcPaceScavenger), and
// this collection leaves that small. The scavenger does not run while the
// process sleeps, so the pages survive the wait for the first key, but once
// the session is busy it may release them. In one run of four (13 s of keys
// 40 ms apart), both ends faulted about as often as without the warm-up;
// in the other three the client faulted a tenth as often and the server a
// quarter to a half as often. Warming 2 MiB kept the server's faults lower
// in all four runs but left the client at about half the cold rate.
func WarmHeap(n int) {
	b := make([]byte, n)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
}
