// Package loginrec owns a server session's entries in the host's login
// records, as mosh-server 1.4 keeps them: a utmp entry for the session's
// terminal (what who(1), w(1) and last(1) read), written through the
// system's privileged helper, and lines in the authentication log through
// syslog(3).
//
// The utmp entry's host field is "mosh [PID]" while no client is attached
// and "IP via mosh [PID]" while one is, mosh's words: mosh-server's
// reminder of detached sessions looks for "mosh [" entries, so a stock
// mosh-server on the same host lists ours too. The syslog lines are
// mosh's: "user NAME session begin", "user NAME connected from host: IP"
// and "user NAME session end", at LOG_INFO in the LOG_AUTH facility.
//
// Only a setgid (Linux: libutempter's utempter) or setuid (FreeBSD:
// ulog-helper) helper may write utmp; a host without one gets no entry,
// as mosh built without libutempter does (macOS). Every record is made on
// a goroutine of the Recorder's, so a slow helper or a full syslog socket
// never holds up the session's loop; Ended waits, boundedly, for the last
// ones.
package loginrec
