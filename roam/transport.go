package roam

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// Transport synchronises a local state L to the peer and receives the peer's
// state R: mosh's Network::Transport<MyState, RemoteState> together with the
// per-datagram half of Network::Connection (sequence numbers, timestamps,
// RTT, whether the peer's address is known).
//
// It is sans-I/O: it has no sockets, goroutines or clock. The caller feeds it
// datagrams with Recv, sends what Tick returns, and calls Tick again at
// NextWake or whenever the local state changed. Every method takes the time
// it runs at; times must not go backwards.
//
// A Transport is not safe for concurrent use: one goroutine owns it.
type Transport[L State[L], R State[R]] struct {
	side  Side
	cfg   Config
	sess  *wire.Session
	epoch time.Time // origin of the millisecond clock used for timestamps
	rng   *rand.Rand

	snd *sender[L]
	rcv *receiver[R]

	frag wire.Fragmenter
	asm  wire.Assembler
	rtt  rttEstimator
	echo timestampEcho

	nextSeq     uint64 // of the next datagram sent
	expectedSeq uint64 // datagrams below this are not used for timing
	// attached: the peer's address is known, so datagrams may be sent.
	// Always true for a client; for a server from the first authentic
	// datagram until ServerAssociationTimeout of silence.
	attached     bool
	lastDatagram time.Time // last authentic, in-order datagram

	lastPortChoice time.Time
	lastRoundtrip  time.Time // send time of the newest acked state when last told

	mtu   int
	stats Stats

	openBuf  []byte
	sealBuf  []byte
	chaffBuf [chaffMax]byte
}

// Stats counts datagrams. Dropped ones are split by reason, as Recv's
// errors are.
type Stats struct {
	Sent, Received                   uint64
	Unauthentic, WrongDirection      uint64
	Malformed, Protocol, Replayed    uint64
	StatesReceived, StatesOutOfOrder uint64
}

// RecvInfo says what Recv made of an authentic datagram.
type RecvInfo struct {
	// Authentic: the datagram passed the integrity check (it may still have
	// been dropped for another reason).
	Authentic bool
	// Newest: the datagram was accepted and its sequence number is above
	// every one seen before. Only such a datagram is used for timing, and
	// only then may a server follow the client to the datagram's source
	// address (UDPServer.Roam).
	Newest bool
	// NewState: a new remote state arrived and is now the newest; read it
	// with Remote or RemoteDiff.
	NewState bool
}

// NewTransport makes a transport for side with the session key. local is the
// state the application mutates (Current returns it) and remote the peer's
// state 0 as the application assumes it; both are cloned, never shared.
func NewTransport[L State[L], R State[R]](side Side, key wire.Key, local L, remote R, now time.Time, cfg Config) (*Transport[L, R], error) {
	if side != Client && side != Server {
		return nil, fmt.Errorf("bad side %v", side)
	}
	cfg = cfg.withDefaults(side)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sess, err := wire.NewSession(key)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("seeding chaff: %w", err)
	}
	t := &Transport[L, R]{
		side:           side,
		cfg:            cfg,
		sess:           sess,
		epoch:          now,
		rng:            rand.New(rand.NewChaCha8(seed)),
		rcv:            newReceiver(remote, now),
		rtt:            newRTT(),
		attached:       side == Client,
		lastPortChoice: now,
		mtu:            cfg.MTU,
	}
	t.snd = newSender(&t.cfg, local, now)
	return t, nil
}

// clockMS is the transport's millisecond clock, the base of the 16-bit
// timestamps. Only differences matter to the peer.
func (t *Transport[L, R]) clockMS(now time.Time) int64 {
	return now.Sub(t.epoch).Milliseconds()
}

func (t *Transport[L, R]) timing() timing {
	return timing{
		rto:      t.rtt.rto(t.cfg.MinRTO, t.cfg.MaxRTO),
		interval: t.rtt.sendInterval(t.cfg.SendIntervalMin, t.cfg.SendIntervalMax),
	}
}

// Recv processes one datagram received at now. congested reports that it
// arrived with the ECN CE codepoint. A non-nil error wraps one of ErrUnauthentic,
// ErrWrongDirection, ErrMalformed, ErrProtocol or ErrReplayed: the datagram was
// dropped without changing the transport (beyond what mosh's fragment
// assembly does with any authentic fragment), and the session carries on.
// Recv never panics on any input.
func (t *Transport[L, R]) Recv(datagram []byte, now time.Time, congested bool) (RecvInfo, error) {
	var info RecvInfo
	dir, seq, plain, err := t.sess.Open(t.openBuf[:0], datagram)
	if err != nil {
		t.stats.Unauthentic++
		return info, fmt.Errorf("%w: %w", ErrUnauthentic, err)
	}
	t.openBuf = plain[:0]
	info.Authentic = true
	if dir != t.side.recvDir() {
		t.stats.WrongDirection++
		return info, fmt.Errorf("%w: %v datagram at the %v", ErrWrongDirection, dir, t.side)
	}
	pkt, err := wire.ParsePacket(plain)
	if err != nil {
		t.stats.Malformed++
		return info, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	frag, err := wire.ParseFragment(pkt.Payload)
	if err != nil {
		t.stats.Malformed++
		return info, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	inst, err := t.asm.Add(frag)
	if err != nil {
		t.stats.Malformed++
		return info, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	fresh := seq >= t.expectedSeq
	if inst == nil { // more fragments to come
		if !fresh {
			// Not above every sequence number seen and it completes
			// nothing: a replay, a duplicate or a late fragment. The
			// assembler keeps it (as mosh's does), but it says nothing
			// about the path it came by: a caller must not take it as a
			// sign that this path works, or anyone who recorded one
			// datagram could keep a session on a blocked path.
			t.stats.Replayed++
			return info, fmt.Errorf("%w: seq %d, a fragment of an unfinished instruction", ErrReplayed, seq)
		}
		t.stats.Received++
		t.noteFresh(seq, pkt, now, congested)
		info.Newest = true
		return info, nil
	}
	if inst.ProtocolVersion != wire.ProtocolVersion {
		t.stats.Protocol++
		return info, fmt.Errorf("%w: protocol version %d", ErrProtocol, inst.ProtocolVersion)
	}
	cand, err := t.rcv.prepare(inst.OldNum, inst.NewNum, inst.ThrowawayNum, inst.Diff)
	var quiet nothingNew
	if err != nil && !errors.As(err, &quiet) {
		t.stats.Protocol++
		return info, err
	}

	t.stats.Received++
	if fresh {
		t.noteFresh(seq, pkt, now, congested)
		info.Newest = true
	}
	acked := t.snd.processAck(inst.AckNum)
	// What mosh tells its Connection for the port-hop decision.
	t.lastRoundtrip = t.snd.sent[0].at

	added := false
	if err == nil {
		var newest bool
		added, newest = t.rcv.commit(cand, now)
		if added {
			t.stats.StatesReceived++
		}
		if newest {
			t.snd.ackNum = cand.num
			t.snd.peerHeard = now
			if len(inst.Diff) > 0 {
				t.snd.setDataAck(now)
			}
			info.NewState = true
		} else if added {
			t.stats.StatesOutOfOrder++
		}
	}
	if !fresh && !acked && !added {
		t.stats.Replayed++
		return info, fmt.Errorf("%w: seq %d", ErrReplayed, seq)
	}
	return info, nil
}

// noteFresh does what mosh does for a datagram whose sequence number is new:
// save its timestamp for echoing (500 ms older if congestion was signalled,
// which slows the peer), take an RTT sample from its echo, and note that the
// peer is there.
func (t *Transport[L, R]) noteFresh(seq uint64, pkt wire.Packet, now time.Time, congested bool) {
	t.expectedSeq = seq + 1
	nowMS := t.clockMS(now)
	if pkt.Timestamp != wire.NoTimestamp {
		ts := pkt.Timestamp
		if congested {
			ts -= congestionPenalty
		}
		t.echo.save(ts, nowMS)
	}
	if pkt.TimestampReply != wire.NoTimestamp {
		t.rtt.sample(timestampDiff(wire.Timestamp16(nowMS), pkt.TimestampReply))
	}
	t.attached = true
	t.lastDatagram = now
}

// Tick returns the datagrams to send at now (possibly none). Call it at
// NextWake, after Recv, and after changing the local state. The returned
// slices are fresh and owned by the caller.
//
// An error means the state could not be encoded (an instruction needing more
// than 32767 fragments); the state is then considered sent, so the caller
// should treat the error as fatal to the session.
func (t *Transport[L, R]) Tick(now time.Time) ([][]byte, error) {
	tm := t.timing()
	if !t.attached {
		t.snd.calculateTimers(now, tm)
		return nil, nil
	}
	out, ok := t.snd.tick(now, tm)
	if !ok {
		return nil, nil
	}
	in := wire.Instruction{
		ProtocolVersion: wire.ProtocolVersion,
		OldNum:          out.oldNum,
		NewNum:          out.newNum,
		AckNum:          out.ackNum,
		ThrowawayNum:    out.throwawayNum,
		Diff:            out.diff,
		Chaff:           t.chaff(),
	}
	frags, err := t.frag.Fragments(&in, t.mtu)
	if err != nil {
		return nil, fmt.Errorf("roam: encoding state %d: %w", out.newNum, err)
	}
	nowMS := t.clockMS(now)
	dgs := make([][]byte, 0, len(frags))
	for _, f := range frags {
		pkt := wire.Packet{Timestamp: wire.Timestamp16(nowMS), TimestampReply: t.echo.reply(nowMS)}
		plain := f.AppendMarshal(pkt.AppendMarshal(t.sealBuf[:0]))
		t.sealBuf = plain[:0]
		dg := t.sess.Seal(make([]byte, 0, len(plain)+wire.SealOverhead), t.side.sendDir(), t.nextSeq, plain)
		t.nextSeq++
		dgs = append(dgs, dg)
	}
	t.stats.Sent += uint64(len(dgs))
	// A server that has not heard from its client for a long time stops
	// sending until it hears again (checked after each send, as mosh does).
	if t.side == Server && now.Sub(t.lastDatagram) > t.cfg.ServerAssociationTimeout {
		t.attached = false
	}
	return dgs, nil
}

// Disassociate makes a server stop sending until it hears from a client
// again, as it does after ServerAssociationTimeout of silence: for a client
// that said it left, so that nothing is sent to where no one listens.
func (t *Transport[L, R]) Disassociate() {
	if t.side == Server {
		t.attached = false
	}
}

// chaff is 0..16 random bytes that blur the length of instructions. The
// slice is reused by the next call (the fragmenter copies what it keeps).
func (t *Transport[L, R]) chaff() []byte {
	n := t.rng.IntN(256) % (chaffMax + 1)
	b := t.chaffBuf[:n]
	// Eight bytes per draw, not one: each draw is a trip into the
	// generator's state, cold on a keystroke's path.
	for i := 0; i < n; i += 8 {
		v := t.rng.Uint64()
		for j := i; j < min(i+8, n); j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	return b
}

// NextWake is when Tick next has something to do if nothing else happens; the
// zero time means nothing is scheduled (a server with no client). It may move
// earlier after Recv or a local state change.
func (t *Transport[L, R]) NextWake(now time.Time) time.Time {
	w := t.snd.nextWake(now, t.timing())
	if !t.attached {
		return time.Time{}
	}
	return w
}

// AckNow acknowledges the newest remote state at the next Tick instead of
// after AckDelay: for an application that knows the peer waits for the
// ack to send more (our server paces the scrollback history on acks). The
// wire is unchanged: an ack is an ack, sooner.
func (t *Transport[L, R]) AckNow(now time.Time) { t.snd.ackNow(now) }

// Current is the local state. The application mutates it in place (L is a
// pointer type) and then calls Tick; it must not change it after
// StartShutdown.
func (t *Transport[L, R]) Current() L { return t.snd.current }

// Remote is the newest remote state received. Callers must not modify it.
func (t *Transport[L, R]) Remote() R { return t.rcv.newest().state }

// RemoteNum is the number of the newest remote state (0 before any; 2^64−1
// once the peer started shutting down).
func (t *Transport[L, R]) RemoteNum() uint64 { return t.rcv.newest().num }

// RemoteDiff returns the diff from the remote state the application last
// consumed to the newest one, and marks the newest consumed (mosh's
// get_remote_diff). Empty when nothing changed.
func (t *Transport[L, R]) RemoteDiff() []byte { return t.rcv.remoteDiff() }

// LastHeard is when the newest remote state arrived (the construction time
// before any), which is what mosh's "Last contact" counts from.
func (t *Transport[L, R]) LastHeard() time.Time { return t.rcv.newest().at }

// SentNum is the number of the last state sent, AckedNum that of the newest
// state the peer acknowledged, and AckedSentAt when that state was sent:
// what mosh's prediction engine and notification bar read.
func (t *Transport[L, R]) SentNum() uint64        { return t.snd.back().num }
func (t *Transport[L, R]) AckedNum() uint64       { return t.snd.sent[0].num }
func (t *Transport[L, R]) AckedSentAt() time.Time { return t.snd.sent[0].at }

// Acked is the newest local state the peer acknowledged (the reference of
// the diffs it is sure to be able to apply); it must be treated as
// read-only.
func (t *Transport[L, R]) Acked() L { return t.snd.sent[0].state }

// SRTT is the smoothed round-trip time (1 s before any sample).
func (t *Transport[L, R]) SRTT() time.Duration {
	return time.Duration(t.rtt.srtt * float64(time.Millisecond))
}

// RTO is the retransmission timeout, clamp(ceil(SRTT + 4·RTTVAR), 50, 1000) ms.
func (t *Transport[L, R]) RTO() time.Duration { return t.timing().rto }

// SendInterval is the minimum spacing of data sends, clamp(ceil(SRTT/2), 20, 250) ms.
func (t *Transport[L, R]) SendInterval() time.Duration { return t.timing().interval }

// SetMTU sets the datagram size limit (the socket layer's MTU, e.g. after
// EMSGSIZE fell back to wire.MTUFallback). Values that leave no room for data
// are ignored.
func (t *Transport[L, R]) SetMTU(mtu int) {
	if wire.FragmentDataSize(mtu) > 0 {
		t.mtu = mtu
	}
}

// MTU is the current datagram size limit.
func (t *Transport[L, R]) MTU() int { return t.mtu }

// Attached reports whether the transport knows where the peer is and so may
// send: always for a client; for a server once an authentic datagram
// arrived, until ServerAssociationTimeout passes without one.
func (t *Transport[L, R]) Attached() bool { return t.attached }

// Stats returns the datagram counters.
func (t *Transport[L, R]) Stats() Stats { return t.stats }

// StartShutdown begins the shutdown handshake: the local state is frozen and
// every later instruction carries new_num 2^64−1. Repeated calls are no-ops.
func (t *Transport[L, R]) StartShutdown(now time.Time) { t.snd.startShutdown(now) }

// ShutdownInProgress reports whether StartShutdown was called.
func (t *Transport[L, R]) ShutdownInProgress() bool { return t.snd.shutdown }

// ShutdownAcknowledged reports whether the peer acknowledged our shutdown.
func (t *Transport[L, R]) ShutdownAcknowledged() bool { return t.snd.shutdownAcknowledged() }

// ShutdownAckTimedOut reports whether we gave up waiting for that
// acknowledgement: ShutdownRetries shutdown sends, or ActiveRetryTimeout since
// StartShutdown.
func (t *Transport[L, R]) ShutdownAckTimedOut(now time.Time) bool {
	return t.snd.shutdownAckTimedOut(now)
}

// CounterpartyShutdownAckSent reports whether we told the peer that we got its
// shutdown (our last instruction acked state 2^64−1): the side that did not
// start the shutdown may exit then.
func (t *Transport[L, R]) CounterpartyShutdownAckSent() bool {
	return t.snd.lastAckSent == shutdownNum
}

// ShouldHop reports whether a client should move to a new source port now:
// more than PortHopInterval since the last port choice and since the send
// time of the newest state the server acknowledged (mosh's Connection::send).
// Always false for a server. Call it after sending; after hopping call
// NoteHop.
func (t *Transport[L, R]) ShouldHop(now time.Time) bool {
	if t.side != Client {
		return false
	}
	hop := t.cfg.PortHopInterval
	return now.Sub(t.lastPortChoice) > hop && (t.lastRoundtrip.IsZero() || now.Sub(t.lastRoundtrip) > hop)
}

// NoteHop records that the client picked a new source port at now.
func (t *Transport[L, R]) NoteHop(now time.Time) { t.lastPortChoice = now }
