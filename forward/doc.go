// Package forward carries a roaming session's port and agent forwards on
// the SSH connection ssh-mosh keeps beside it (sshcfg.Link), through every
// re-dial after a network change.
//
// It owns:
//   - the -L/-R/-D specifications, parsed as OpenSSH's ssh parses them
//     (spec.go), with what a roaming session does not carry (unix sockets,
//     remote SOCKS) marked ErrNeedsOpenSSH so the login goes to ssh;
//   - local (-L) and dynamic (-D, SOCKS4/4a/5 without authentication)
//     listeners that stay open across re-dials, each accepted connection
//     opening a channel on the connection current at that moment;
//   - remote forwards (-R), requested again on each new connection (and
//     retried while the old sshd still holds the port), with OpenSSH's
//     messages for an allocated or a failed port;
//   - agent forwarding whose remote SSH_AUTH_SOCK is a stable symlink in
//     a 0700 directory, re-pointed at each connection's agent socket.
//
// Connections in flight ride the connection they were opened on and may
// break with it; new ones use the next at once.
package forward
