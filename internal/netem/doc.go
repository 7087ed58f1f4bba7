// Package netem impairs datagrams and byte streams for tests, benchmarks and
// `ssh-mosh --local --delay 100ms --loss 5%`: one-way delay with jitter,
// loss, duplication, reordering, blackouts and NAT-style rebinding of the
// source port, all decided by a seeded random source so that the same seed
// and the same arrival order give the same decisions.
//
// It offers four pieces:
//
//   - Proxy: a loopback UDP proxy between a client and a target, with one
//     upstream socket per client address (Rebind moves it to a new port).
//   - Impair: a net.PacketConn wrapper that impairs what is written to it.
//   - Pipe: two in-memory net.PacketConns wired to each other, for fast
//     whole-stack tests (they also work inside testing/synctest bubbles).
//   - TCPProxy: adds one-way delay to TCP streams (SSH over a slow link);
//     DropAll kills every proxied connection, as a network change does.
//
// Every goroutine belongs to the value that started it and ends in its
// Close, which waits for it.
//
// # Limitations
//
// Delays are scheduled with the runtime timer, so on a loaded machine a
// datagram can leave late by the scheduler's latency; order among equal
// due times is first-in, first-out. TCP mode only delays: TCP itself hides
// loss and reordering. ECN marks and MTU limits are not simulated.
package netem
