//go:build !darwin

package session

// waitInput waits until the terminal in has input or wake is written to;
// Linux's and FreeBSD's poll(2) handle terminals.
func waitInput(in, wake int) (ready, woken bool, err error) { return waitPoll(in, wake) }
