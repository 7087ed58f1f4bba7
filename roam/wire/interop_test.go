package wire

import (
	"bytes"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// moshPeer is the least transport that talks to a real mosh-server: enough
// to prove the byte formats, nothing of the real state machine.
type moshPeer struct {
	t     *testing.T
	conn  *net.UDPConn
	sess  *Session
	seq   uint64
	fr    Fragmenter
	asm   Assembler
	start time.Time

	remoteNum  uint64 // newest server state number seen
	acked      uint64 // newest of our states the server acknowledged
	hostText   bytes.Buffer
	fragmented bool // a server instruction arrived in several fragments
}

func (p *moshPeer) send(in *Instruction, mtu int) {
	p.t.Helper()
	frags, err := p.fr.Fragments(in, mtu)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, f := range frags {
		pkt := Packet{Timestamp: Timestamp16(time.Since(p.start).Milliseconds()), TimestampReply: NoTimestamp, Payload: f.AppendMarshal(nil)}
		dg := p.sess.Seal(nil, ToServer, p.seq, pkt.AppendMarshal(nil))
		if len(dg) > mtu {
			p.t.Fatalf("datagram of %d bytes above mtu %d", len(dg), mtu)
		}
		p.seq++
		if _, err := p.conn.Write(dg); err != nil {
			p.t.Fatal(err)
		}
	}
}

// recv reads datagrams until done() or the deadline, decoding everything
// the server sends.
func (p *moshPeer) recv(until time.Time, done func() bool, resend func()) {
	p.t.Helper()
	buf := make([]byte, 4096)
	var pt []byte
	lastResend := time.Now()
	for !done() {
		if time.Now().After(until) {
			p.t.Fatalf("timed out; server said so far: %q", p.hostText.String())
		}
		if resend != nil && time.Since(lastResend) > 500*time.Millisecond {
			resend()
			lastResend = time.Now()
		}
		p.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := p.conn.Read(buf)
		if err != nil {
			continue
		}
		dir, _, plain, err := p.sess.Open(pt[:0], buf[:n])
		if err != nil || dir != ToClient {
			p.t.Fatalf("server datagram: dir %v, %v", dir, err)
		}
		pt = plain
		pkt, err := ParsePacket(plain)
		if err != nil {
			p.t.Fatal(err)
		}
		f, err := ParseFragment(pkt.Payload)
		if err != nil {
			p.t.Fatal(err)
		}
		if !f.Final || f.Num != 0 {
			p.fragmented = true
		}
		in, err := p.asm.Add(f)
		if err != nil {
			p.t.Fatal(err)
		}
		if in == nil {
			continue
		}
		if in.ProtocolVersion != ProtocolVersion {
			p.t.Fatalf("protocol version %d", in.ProtocolVersion)
		}
		p.remoteNum = max(p.remoteNum, in.NewNum)
		p.acked = max(p.acked, in.AckNum)
		hm, err := ParseHostMessage(in.Diff)
		if err != nil {
			p.t.Fatalf("host message %x: %v", in.Diff, err)
		}
		for _, h := range hm {
			if h.Kind == HostBytes {
				p.hostText.Write(h.Bytes)
			}
		}
	}
}

// TestRealMoshServer speaks to a real mosh-server 1.4 with these codecs:
// state 1 is a resize to 200×100, state 2 a multi-fragment burst of random
// lines sent at the 500-byte fallback mtu into cat, whose echo must come
// back (the screenful of random letters needs several fragments from the
// server too); then the shutdown handshake makes the server exit, so it
// never aborted on our bytes.
func TestRealMoshServer(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-server")
	srv := testenv.StartMoshServer(t, "", "--", "/bin/cat")
	key, err := ParseKey(srv.Key)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(key)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Port})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p := &moshPeer{t: t, conn: conn, sess: sess, start: time.Now()}
	deadline := time.Now().Add(20 * time.Second)

	state1 := &Instruction{ProtocolVersion: ProtocolVersion, OldNum: 0, NewNum: 1,
		Diff: AppendUserMessage(nil, []UserInstruction{{Kind: UserResize, Width: 200, Height: 100}})}
	p.send(state1, MTUv4)
	p.recv(deadline, func() bool { return p.acked >= 1 }, func() { p.send(state1, MTUv4) })

	// Lines of pseudo-random letters compress badly, so the instruction
	// needs several fragments.
	r := rand.New(rand.NewPCG(5, 6))
	var keys []byte
	for range 40 {
		for range 70 {
			keys = append(keys, byte('a'+r.IntN(26)))
		}
		keys = append(keys, '\r')
	}
	const marker = "wire-interop-ok"
	keys = append(keys, marker+"\r"...)
	state2 := &Instruction{ProtocolVersion: ProtocolVersion, OldNum: 1, NewNum: 2, AckNum: p.remoteNum, ThrowawayNum: 1,
		Diff: AppendUserMessage(nil, []UserInstruction{{Kind: UserKeystroke, Keys: keys}})}
	if frags, _ := (&Fragmenter{}).Fragments(state2, MTUFallback); len(frags) < 3 {
		t.Fatalf("state 2 fits %d fragments; the test wants several", len(frags))
	}
	p.send(state2, MTUFallback)
	p.recv(deadline, func() bool { return p.acked >= 2 && strings.Count(p.hostText.String(), marker) >= 2 },
		func() { p.send(state2, MTUFallback) })

	// Shutdown: new_num 2^64−1 relative to state 2; the server acks it and exits.
	bye := &Instruction{ProtocolVersion: ProtocolVersion, OldNum: 2, NewNum: 1<<64 - 1, AckNum: p.remoteNum, ThrowawayNum: 2}
	p.send(bye, MTUv4)
	p.recv(deadline, func() bool { return p.acked == 1<<64-1 }, func() { p.send(bye, MTUv4) })
	if !testenv.WaitGone(srv.PID, 10*time.Second) {
		t.Fatalf("mosh-server %d still running after the shutdown handshake", srv.PID)
	}
	if !p.fragmented {
		t.Error("no server instruction needed several fragments; the screen was meant to be big enough")
	}
}
