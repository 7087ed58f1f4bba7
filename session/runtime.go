package session

import "runtime"

// OneProc makes the Go runtime run goroutines on one thread at a time
// (GOMAXPROCS 1), for a process whose work is one session loop. The loop
// and the goroutines that feed it (socket, terminal, pty readers) then hand
// over on the same thread: a keystroke or a datagram wakes one thread, not
// a second one to run the loop and a third that spins looking for work, and
// an idle session has no idle processors to wake. Setting it also stops the
// runtime's once-a-second re-reading of the cgroup's CPU limit. Only the
// binaries call it: it is a process-wide setting.
func OneProc() { runtime.GOMAXPROCS(1) }
