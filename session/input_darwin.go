package session

// waitInput waits until the terminal in has input or wake is written to.
// macOS's poll(2) does not support devices ("BUGS" in its manual page: a
// terminal gives POLLNVAL), so the terminal is waited on with select(2),
// which works there, as libevent and tmux do on macOS.
func waitInput(in, wake int) (ready, woken bool, err error) { return waitSelect(in, wake) }
