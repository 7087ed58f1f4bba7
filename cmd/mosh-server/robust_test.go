package main

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// relay is a UDP forwarder between the real mosh-client and our server
// that keeps a copy of the client's first datagrams, so a test can replay
// and mangle genuine traffic. Its goroutines end when the test does.
type relay struct {
	front    *net.UDPConn
	server   *net.UDPAddr
	mu       sync.Mutex
	back     *net.UDPConn // toward the server; replaced by rebind
	client   *net.UDPAddr
	captured [][]byte
	wg       sync.WaitGroup
}

const relayKeep = 256

func newRelay(t *testing.T, serverPort int) *relay {
	t.Helper()
	front, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{front: front, server: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: serverPort}}
	t.Cleanup(func() {
		_ = front.Close()
		r.mu.Lock()
		if r.back != nil {
			_ = r.back.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	if err := r.rebind(); err != nil {
		t.Fatal(err)
	}
	r.wg.Add(1)
	go r.upstream()
	return r
}

// rebind moves the relay's server side to a new socket (a new source
// port), as a client behind a NAT that changed its mapping: the server must
// follow it.
func (r *relay) rebind() error {
	back, err := net.DialUDP("udp4", nil, r.server)
	if err != nil {
		return err
	}
	r.mu.Lock()
	old := r.back
	r.back = back
	r.mu.Unlock()
	r.wg.Add(1)
	go r.downstream(back)
	if old != nil {
		_ = old.Close()
	}
	return nil
}

func (r *relay) port() int { return r.front.LocalAddr().(*net.UDPAddr).Port }

func (r *relay) upstream() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := r.front.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		r.mu.Lock()
		r.client = from
		if len(r.captured) < relayKeep {
			r.captured = append(r.captured, append([]byte(nil), buf[:n]...))
		}
		back := r.back
		r.mu.Unlock()
		_, _ = back.Write(buf[:n])
	}
}

func (r *relay) downstream(back *net.UDPConn) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, err := back.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ECONNREFUSED after the server is gone
		}
		r.mu.Lock()
		to := r.client
		r.mu.Unlock()
		if to != nil {
			_, _ = r.front.WriteToUDP(buf[:n], to)
		}
	}
}

func (r *relay) capturedCopy() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, len(r.captured))
	for i, d := range r.captured {
		out[i] = append([]byte(nil), d...)
	}
	return out
}

// forge seals an authentic datagram with the session key. seq is kept at
// numbers the real client used long ago, so that the server neither
// follows the forger's address nor takes timing from it.
func forge(t *testing.T, sess *wire.Session, dir wire.Direction, seq uint64, plaintext []byte) []byte {
	t.Helper()
	return sess.Seal(nil, dir, seq, plaintext)
}

func packet(payload []byte) []byte {
	return wire.Packet{Timestamp: 1, TimestampReply: wire.NoTimestamp, Payload: payload}.AppendMarshal(nil)
}

func fragment(data []byte) []byte {
	return wire.Fragment{ID: 1 << 40, Final: true, Data: data}.AppendMarshal(nil)
}

func instruction(in wire.Instruction) []byte {
	return fragment(wire.Compress(in.AppendMarshal(nil)))
}

// TestHostileDatagrams: while the real mosh-client is attached, junk of
// every kind is sent to our server's port from another socket: random
// bytes, the client's own datagrams replayed, truncated and bit-flipped,
// and authentic datagrams carrying each of the payloads that make a real
// mosh peer abort (docs/PROTOCOL.md, Robustness traps). The session goes on working, the
// server never answers the stranger (no roaming to it), and the real
// client stays alive through all of it.
func TestHostileDatagrams(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-client")
	srv := testenv.StartMoshServerEnv(t, ourServer(t), []string{"PS1=" + prompt, "ENV="}, "--", "/bin/sh")
	rl := newRelay(t, srv.Port)
	argv, env := testenv.MoshClientArgv(t, srv.Key, rl.port())
	tm := testenv.StartTmux(t, testenv.TmuxOptions{Env: env}, argv...)
	s := &live{t: t, srv: srv, tm: tm}
	tm.WaitFor(prompt, waitShort)
	// Genuine traffic to replay: keystrokes, echoes, acks.
	for i := range 3 {
		n := strconv.Itoa(i)
		s.run("echo warm-"+n+"-$((1+1))", "warm-"+n+"-2")
	}

	stranger, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Port})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stranger.Close() }()
	key, err := wire.ParseKey(srv.Key)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := wire.NewSession(key)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	genuine := rl.capturedCopy()
	if len(genuine) < 4 {
		t.Fatalf("only %d client datagrams captured", len(genuine))
	}

	resize0 := wire.AppendUserMessage(nil, []wire.UserInstruction{{Kind: wire.UserResize, Width: 0, Height: 24}})
	batches := []struct {
		name string
		dgs  [][]byte
	}{
		{"random", func() (out [][]byte) {
			for _, n := range []int{0, 1, 8, 23, 24, 25, 40, 100, 500, 1400, 2048, 2049, 4000} {
				for range 8 {
					b := make([]byte, n)
					for i := range b {
						b[i] = byte(rng.Uint32())
					}
					out = append(out, b)
				}
			}
			return out
		}()},
		{"replayed", genuine},
		{"truncated", func() (out [][]byte) {
			for _, d := range genuine {
				for _, n := range []int{len(d) - 1, len(d) - 16, len(d) / 2, 24, 23, 8} {
					if n >= 0 && n < len(d) {
						out = append(out, d[:n])
					}
				}
			}
			return out
		}()},
		{"bit-flipped", func() (out [][]byte) {
			for _, d := range genuine {
				for _, i := range []int{0, 7, 8, len(d) / 2, len(d) - 1} {
					b := append([]byte(nil), d...)
					b[i] ^= 1 << (rng.Uint32() % 8)
					out = append(out, b)
				}
			}
			return out
		}()},
		{"authentic traps", [][]byte{
			forge(t, sess, wire.ToClient, 1, packet(instruction(wire.Instruction{ProtocolVersion: 2, NewNum: 1}))),
			forge(t, sess, wire.ToServer, 1, []byte{1, 2}),                                              // no timestamps
			forge(t, sess, wire.ToServer, 1, packet([]byte{1, 2, 3, 4, 5})),                             // fragment < 10 bytes
			forge(t, sess, wire.ToServer, 1, packet(fragment([]byte("not zlib")))),                      // not zlib
			forge(t, sess, wire.ToServer, 1, packet(fragment(wire.Compress([]byte{0xff, 0xff, 0xff})))), // not protobuf
			forge(t, sess, wire.ToServer, 1, packet(instruction(wire.Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: 1 << 50, Diff: []byte{0xff, 0xff}}))),
			forge(t, sess, wire.ToServer, 1, packet(instruction(wire.Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: 1 << 50, Diff: resize0}))),
			forge(t, sess, wire.ToServer, 1, packet(instruction(wire.Instruction{ProtocolVersion: 2, OldNum: 0, NewNum: 1 << 50, ThrowawayNum: 1 << 51}))),
			forge(t, sess, wire.ToServer, 1, packet(instruction(wire.Instruction{ProtocolVersion: 3, OldNum: 0, NewNum: 1 << 50}))),
			forge(t, sess, wire.ToServer, 2, packet(wire.Fragment{ID: 1 << 41, Num: 0, Data: []byte("part")}.AppendMarshal(nil))),
			forge(t, sess, wire.ToServer, 2, packet(wire.Fragment{ID: 1 << 41, Num: 0, Data: []byte("different")}.AppendMarshal(nil))),
			forge(t, sess, wire.ToServer, 2, packet(wire.Fragment{ID: 1 << 41, Num: 1000, Final: true, Data: []byte("x")}.AppendMarshal(nil))),
		}},
	}
	for i, b := range batches {
		for _, d := range b.dgs {
			if _, err := stranger.Write(d); err != nil {
				t.Fatalf("%s: %v", b.name, err)
			}
		}
		// The session still works, and the real client is still there.
		n := strconv.Itoa(i + 10)
		s.run("echo after-"+b.name+"-$(("+n+"*2))", "after-"+b.name+"-"+strconv.Itoa((i+10)*2))
		s.clientAlive()
		if !testenv.Alive(srv.PID) {
			t.Fatalf("our server died after the %s datagrams", b.name)
		}
	}
	// A server that followed the stranger's address would have sent it
	// something by now.
	_ = stranger.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := stranger.Read(make([]byte, 2048)); err == nil {
		t.Errorf("our server sent the stranger a %d-byte datagram: it roamed to an unauthentic or stale source", n)
	}
	s.exit()
}

// TestClientRoams: the client's address changes mid-session (its datagrams
// suddenly come from another port); our server follows it after the first
// authentic datagram from there, and the session goes on.
func TestClientRoams(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-client")
	srv := testenv.StartMoshServerEnv(t, ourServer(t), []string{"PS1=" + prompt, "ENV="}, "--", "/bin/sh")
	rl := newRelay(t, srv.Port)
	argv, env := testenv.MoshClientArgv(t, srv.Key, rl.port())
	tm := testenv.StartTmux(t, testenv.TmuxOptions{Env: env}, argv...)
	s := &live{t: t, srv: srv, tm: tm}
	tm.WaitFor(prompt, waitShort)
	for i := range 3 {
		if err := rl.rebind(); err != nil {
			t.Fatal(err)
		}
		n := strconv.Itoa(i)
		s.run("echo roamed-"+n+"-$((3*3))", "roamed-"+n+"-9")
	}
	s.clientAlive()
	s.exit()
}
