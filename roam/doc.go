// Package roam is mosh 1.4's State Synchronization Protocol: it keeps a
// local state replicated to the peer and the peer's state replicated here,
// over encrypted UDP datagrams that may be lost, duplicated, reordered or
// arrive from a new address. It is generic over the synchronized states
// (State) and wire-compatible with mosh 1.4 in both directions.
//
// It owns:
//   - Transport (transport.go, sender.go, receiver.go, rtt.go): the sans-I/O
//     protocol engine, mosh's Transport<MyState, RemoteState> with the
//     per-datagram half of its Connection. It numbers states, diffs them
//     against what the peer is assumed to have, acknowledges, retransmits,
//     measures the round trip, and runs the shutdown handshake. Time is
//     passed in; it never reads a clock or touches a socket.
//   - Path, UDPServer, UDPClient (conn.go, udp.go, sockopt_*.go): the
//     datagram edge, the only code that touches the network. The server
//     follows a roaming client; the client hops source ports. Both also run
//     on any net.PacketConn (NewServerPath, NewClientPath), e.g. an
//     in-memory pipe or internal/netem.
//   - Pump (pump.go): the loop tying a Transport to a Path (one wake-up at a
//     time, on its goroutine or a reader's: DirectPath, Feed),
//     the one driver of both ends of a session: an App (package session's
//     client or server) supplies its rules, timers and event sources; the
//     clock is read once per wake-up, deadlines meet in Earliest, and the
//     path's capabilities (MTUPath, HopPath, RoamPath, HeardPath, WakePath)
//     are applied here and nowhere else.
//
// The byte formats (OCB3 sealing, packets, fragments, protobuf
// instructions, user and host messages) live in package roam/wire.
//
// # Datagram layout
//
//	nonce tail (8: dir<<63 | seq) ‖ AES-128-OCB3(ts16 ‖ ts16_reply ‖
//	    fragment id (8) ‖ final<<15 | num (2) ‖ slice of zlib(Instruction)) ‖ tag (16)
//
// # References
//
//   - Winstein, Balakrishnan: "Mosh: An Interactive Remote Shell for Mobile
//     Clients", USENIX ATC 2012 (the SSP design).
//   - mosh 1.4 src/network/transportsender-impl.h, networktransport-impl.h,
//     network.cc (the behaviour reproduced here) and docs/PROTOCOL.md (State synchronization, Roaming and ports).
//   - RFC 6298 (the RTT filter), RFC 7253 (OCB), RFC 3168 (ECN).
//
// # Limitations
//
//   - Pacing deliberately differs from mosh on an idle link (see Config);
//     Config.StrictMoshPacing restores mosh's.
//   - Out-of-band (oob) data of later mosh branches is not supported; mosh
//     1.4 has none.
//   - Recv reports datagrams that authenticate but break the protocol as
//     errors and drops them, where a real mosh peer would abort.
//   - mosh takes timestamps, RTT samples and the peer's address from any
//     authentic in-order datagram before decoding its payload; Recv does
//     so only once the whole datagram decoded, so a malformed one changes
//     nothing.
//   - Beyond mosh's 1024 received states, the receiver also bounds their
//     bytes (State.Size): past the budget it drops the
//     states between the oldest and the newest, where mosh keeps them all.
//     Acks are unchanged; a diff from a dropped state is ignored.
//   - A fragment that is not newer than every datagram seen and completes
//     nothing is reported as ErrReplayed (mosh returns silently), though it
//     still joins the assembly as in mosh.
package roam
