// Package datapath holds the ways a session's datagrams travel besides a
// bare UDP socket (roam.UDPServer, roam.UDPClient): over a byte stream
// such as an SSH channel or a unix socket, through a relay on the server's
// host, and over several paths at once. Every type here is a roam.Path (or
// a piece of one), so the session loops run on them unchanged.
//
// It holds:
//   - frames (frame.go): a datagram on a stream is a 16-bit big-endian
//     length followed by the datagram; an empty frame is a keepalive.
//   - StreamPath (stream.go): a roam.Path over an io.ReadWriteCloser whose
//     Send never blocks (a full SSH window drops the oldest datagram, not
//     the transport's timers).
//   - the relay (relay.go): `mosh-server relay HOST PORT` on the server's
//     host, forwarding between its stdin/stdout frames and the stock
//     mosh-server's UDP port, and the greeting a client waits for.
//   - fanIn (fanin.go): the one fan-in core that merges several member
//     paths into one Incoming channel, tagging each datagram with its
//     member, and closes members as they end.
//   - Multipath (multipath.go): a server's UDP socket plus SSH streams on
//     the fan-in; Send follows the member of the newest authentic datagram.
//   - ClientPaths and PathChooser (clientpaths.go, choose.go): a client's
//     UDP route plus a replaceable SSH stream on the fan-in, and the
//     sans-I/O rule (--transport auto|udp|ssh) choosing each datagram's
//     route.
//
// Nothing here decrypts or interprets a datagram: authenticity is the
// transport's (roam.Transport.Recv), and the loops report it back through
// roam.RoamPath and roam.HeardPath.
package datapath
