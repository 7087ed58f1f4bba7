package roam

import "time"

// sentState is one state the sender numbered and sent (mosh's
// TimestampedState in TransportSender::sent_states).
type sentState[L any] struct {
	num   uint64
	at    time.Time // when it was last sent
	state L
}

// outgoing is the instruction the sender decided to send; the transport adds
// the protocol version and chaff, fragments, seals it.
type outgoing struct {
	oldNum, newNum, ackNum, throwawayNum uint64
	diff                                 []byte
}

// sender decides what to send and when (mosh's TransportSender,
// src/network/transportsender-impl.h). It has no I/O and no clock: every
// method that needs the time takes it.
//
// Timers use the zero time.Time for "never".
type sender[L State[L]] struct {
	cfg *Config

	current L
	// sent is never empty: sent[0] is the newest state the peer
	// acknowledged, the last entry the last state sent; nums increase.
	sent []sentState[L]
	// assumed indexes the state the receiver is presumed to have: the
	// newest sent less than RTO + AckDelay ago.
	assumed int

	nextAckTime  time.Time // never zero once constructed
	nextSendTime time.Time

	// pendingChange is when the current state first differed from the last
	// sent one (mosh's mindelay_clock); zero when nothing is pending.
	pendingChange time.Time
	// lastDataSent is when a datagram last carried a non-empty diff: the
	// idle-link test of the send policy (see Config).
	lastDataSent time.Time
	// emptyDueAt is when a send came due but the diff was empty; it keeps a
	// state that changed and changed back from waking the loop in a spin.
	emptyDueAt time.Time

	ackNum         uint64 // newest remote state received
	pendingDataAck bool
	// peerHeard is when the newest remote state arrived (mosh's sender
	// last_heard); zero before any.
	peerHeard time.Time

	shutdown      bool
	shutdownTries int
	shutdownStart time.Time

	// lastAckSent is the ack_num of the last instruction sent (mosh's
	// Fragmenter::last_ack_sent).
	lastAckSent uint64
}

func newSender[L State[L]](cfg *Config, initial L, now time.Time) *sender[L] {
	return &sender[L]{
		cfg:          cfg,
		current:      initial,
		sent:         []sentState[L]{{num: 0, at: now, state: initial.Clone()}},
		nextAckTime:  now,
		nextSendTime: now,
	}
}

// timing carries the values the sender needs from the RTT estimator.
type timing struct {
	rto, interval time.Duration
}

func (s *sender[L]) back() *sentState[L] { return &s.sent[len(s.sent)-1] }

// heardRecently reports whether the peer sent a new state within
// ActiveRetryTimeout: only then are unacked states resent at frame rate.
func (s *sender[L]) heardRecently(now time.Time) bool {
	return !s.peerHeard.IsZero() && s.peerHeard.Add(s.cfg.ActiveRetryTimeout).After(now)
}

// updateAssumed points assumed at the newest state sent less than
// RTO + AckDelay ago, scanning from the acked one and stopping at the first
// older state (update_assumed_receiver_state).
func (s *sender[L]) updateAssumed(now time.Time, rto time.Duration) {
	s.assumed = 0
	for i := 1; i < len(s.sent); i++ {
		if now.Sub(s.sent[i].at) >= rto+s.cfg.AckDelay {
			return
		}
		s.assumed = i
	}
}

// rationalize removes the acknowledged prefix from every state
// (rationalize_states). The acked state subtracts itself last, as in mosh;
// State.Subtract must accept its own receiver.
func (s *sender[L]) rationalize() {
	known := s.sent[0].state
	s.current.Subtract(known)
	for i := len(s.sent) - 1; i >= 0; i-- {
		s.sent[i].state.Subtract(known)
	}
}

// pacedSendTime is when a changed current state may leave: the send policy
// documented on Config.
func (s *sender[L]) pacedSendTime(interval time.Duration) time.Time {
	burst := s.back().at.Add(interval)
	if s.cfg.StrictMoshPacing {
		return later(burst, s.pendingChange.Add(s.cfg.SendMinDelay))
	}
	// Idle link: the change came a full interval after the last data.
	idle := s.lastDataSent.IsZero() || !s.pendingChange.Before(s.lastDataSent.Add(interval))
	// Nothing in flight: the peer has acknowledged every state sent,
	// within the interval if not idle (so the link's round trip is shorter
	// than the interval's 20 ms floor). There is no burst to coalesce, and
	// waiting only delays: keys repeating 15 ms apart waited 8 ms each way.
	// The frame rate stays bounded by the peer's own: it acknowledges data
	// at once only with data of its own.
	acked := len(s.sent) == 1
	if idle || acked {
		return later(s.pendingChange, s.emptyDueAt.Add(interval))
	}
	return later(burst, s.pendingChange.Add(s.cfg.SendMinDelay))
}

// calculateTimers is mosh's calculate_timers, run before every tick and
// every wake-up computation.
func (s *sender[L]) calculateTimers(now time.Time, tm timing) {
	s.updateAssumed(now, tm.rto)
	s.rationalize()

	if s.pendingDataAck && s.nextAckTime.After(now.Add(s.cfg.AckDelay)) {
		s.nextAckTime = now.Add(s.cfg.AckDelay)
	}
	s.joinHeartbeat(now)

	back := s.back()
	switch {
	case !s.current.Equal(back.state):
		if s.pendingChange.IsZero() {
			s.pendingChange = now
		}
		s.nextSendTime = s.pacedSendTime(tm.interval)
	case !s.current.Equal(s.sent[s.assumed].state) && s.heardRecently(now):
		s.nextSendTime = back.at.Add(tm.interval)
		if !s.pendingChange.IsZero() {
			s.nextSendTime = later(s.nextSendTime, s.pendingChange.Add(s.cfg.SendMinDelay))
		}
	case !s.current.Equal(s.sent[0].state) && s.heardRecently(now):
		s.nextSendTime = back.at.Add(tm.rto + s.cfg.AckDelay)
	default:
		s.nextSendTime = time.Time{}
	}

	// Speed up the shutdown handshake.
	if s.shutdown || s.ackNum == shutdownNum {
		s.nextAckTime = back.at.Add(tm.interval)
	}
}

// heartbeatJoinWindow is how recently the peer's state must have arrived
// for our heartbeat to join it.
const heartbeatJoinWindow = 5 * time.Millisecond

// joinHeartbeat sends our heartbeat together with the peer's (not in
// mosh): when a state without data just arrived from the peer and our own
// empty ack is due within half an AckInterval anyway, it goes now. Each side
// still sends at least one datagram per AckInterval, but an idle session
// wakes once per interval on the side that answers instead of twice (once
// for the peer's heartbeat, once for its own timer), so the two ends soon
// beat together. Data acks keep their AckDelay; StrictMoshPacing keeps
// mosh's timers.
func (s *sender[L]) joinHeartbeat(now time.Time) {
	if s.cfg.StrictMoshPacing || s.pendingDataAck || s.peerHeard.IsZero() ||
		now.Sub(s.peerHeard) >= heartbeatJoinWindow || !s.nextAckTime.After(now) {
		return
	}
	if s.nextAckTime.Sub(now) < s.cfg.AckInterval/2 {
		s.nextAckTime = now
	}
}

// nextWake is the earlier of the two timers (wait_time).
func (s *sender[L]) nextWake(now time.Time, tm timing) time.Time {
	s.calculateTimers(now, tm)
	return Earliest(s.nextAckTime, s.nextSendTime)
}

// tick returns the instruction to send at now, if any (TransportSender::tick).
func (s *sender[L]) tick(now time.Time, tm timing) (outgoing, bool) {
	s.calculateTimers(now, tm)
	ackDue := !now.Before(s.nextAckTime)
	sendDue := due(now, s.nextSendTime)
	if !ackDue && !sendDue {
		return outgoing{}, false
	}

	diff := s.current.DiffFrom(s.sent[s.assumed].state)
	diff = s.prospectiveResend(diff)

	if len(diff) == 0 {
		var out outgoing
		sent := false
		if ackDue {
			out, sent = s.emptyAck(now), true
			s.pendingChange = time.Time{}
		}
		if sendDue {
			s.nextSendTime = time.Time{}
			s.pendingChange = time.Time{}
			s.emptyDueAt = now
		}
		return out, sent
	}
	out := s.sendData(now, diff)
	s.pendingChange = time.Time{}
	return out, true
}

// prospectiveResend replaces the diff against the assumed state by the diff
// against the acknowledged one when that costs little: a shorter diff, or at
// most 99 bytes longer and under 1000 (attempt_prospective_resend_optimization).
// It covers the case where the assumed state was lost.
func (s *sender[L]) prospectiveResend(diff []byte) []byte {
	if s.assumed == 0 {
		return diff
	}
	resend := s.current.DiffFrom(s.sent[0].state)
	if len(resend) <= len(diff) || (len(resend) < resendDiffLimit && len(resend)-len(diff) < resendDiffSlack) {
		s.assumed = 0
		return resend
	}
	return diff
}

// emptyAck numbers a new state even though the content is unchanged, which
// is how the peer learns its ack arrived (send_empty_ack).
func (s *sender[L]) emptyAck(now time.Time) outgoing {
	newNum := s.back().num + 1
	if s.shutdown {
		newNum = shutdownNum
	}
	s.addSent(now, newNum)
	out := s.instruction(newNum, nil)
	s.nextAckTime = now.Add(s.cfg.AckInterval)
	s.nextSendTime = time.Time{}
	return out
}

// sendData sends the diff as a new state, or as a retransmission of the last
// sent one when the content did not change since (send_to_receiver).
func (s *sender[L]) sendData(now time.Time, diff []byte) outgoing {
	back := s.back()
	newNum := back.num + 1
	if s.current.Equal(back.state) {
		newNum = back.num
	}
	if s.shutdown {
		newNum = shutdownNum
	}
	if newNum == back.num {
		back.at = now
	} else {
		s.addSent(now, newNum)
	}
	out := s.instruction(newNum, diff)
	s.assumed = len(s.sent) - 1
	s.nextAckTime = now.Add(s.cfg.AckInterval)
	s.nextSendTime = time.Time{}
	if len(diff) > s.cfg.LightDiff {
		s.lastDataSent = now
	}
	return out
}

// addSent remembers a copy of the current state under num. Past the limit it
// erases the 16th-newest entry, keeping both the acked state and the recent
// ones (add_sent_state).
func (s *sender[L]) addSent(now time.Time, num uint64) {
	s.sent = append(s.sent, sentState[L]{num: num, at: now, state: s.current.Clone()})
	if len(s.sent) > sentStatesLimit {
		i := len(s.sent) - sentStatesErase
		s.sent = append(s.sent[:i], s.sent[i+1:]...)
		if s.assumed >= i {
			// mosh would keep a dangling iterator here; fall back to the
			// older neighbour, which the receiver has if it has the erased one.
			s.assumed--
		}
	}
}

// instruction fills in the numbers for a send of newNum (send_in_fragments).
// throwaway_num is the acknowledged state, which is never above old_num: a
// real peer aborts on a throwaway_num above every state it holds.
func (s *sender[L]) instruction(newNum uint64, diff []byte) outgoing {
	if newNum == shutdownNum {
		s.shutdownTries++
	}
	s.pendingDataAck = false
	s.lastAckSent = s.ackNum
	return outgoing{
		oldNum:       s.sent[s.assumed].num,
		newNum:       newNum,
		ackNum:       s.ackNum,
		throwawayNum: s.sent[0].num,
		diff:         diff,
	}
}

// processAck drops the states older than the acknowledged one, if the sender
// still has it (process_acknowledgment_through). It reports whether the
// acknowledged state moved.
func (s *sender[L]) processAck(ackNum uint64) bool {
	for i := range s.sent {
		if s.sent[i].num != ackNum {
			continue
		}
		if i == 0 {
			return false
		}
		clear(s.sent[:i])
		s.sent = s.sent[i:]
		s.assumed = max(0, s.assumed-i)
		return true
	}
	return false
}

// setDataAck asks for an ack of a data state received at now within
// AckDelay. mosh anchors the delay at the next calculate_timers, which its
// event loop runs right after receiving; anchoring it here keeps the delay
// from sliding when the caller's next Tick comes later.
func (s *sender[L]) setDataAck(now time.Time) {
	s.pendingDataAck = true
	if s.nextAckTime.After(now.Add(s.cfg.AckDelay)) {
		s.nextAckTime = now.Add(s.cfg.AckDelay)
	}
}

// ackNow asks for an ack of the newest data state at the next Tick.
func (s *sender[L]) ackNow(now time.Time) {
	s.pendingDataAck = true
	if s.nextAckTime.After(now) {
		s.nextAckTime = now
	}
}

// startShutdown freezes the state; every later send carries new_num 2^64−1.
func (s *sender[L]) startShutdown(now time.Time) {
	if !s.shutdown {
		s.shutdown = true
		s.shutdownStart = now
	}
}

func (s *sender[L]) shutdownAcknowledged() bool { return s.sent[0].num == shutdownNum }

func (s *sender[L]) shutdownAckTimedOut(now time.Time) bool {
	return s.shutdown && (s.shutdownTries >= s.cfg.ShutdownRetries ||
		now.Sub(s.shutdownStart) >= s.cfg.ActiveRetryTimeout)
}

// due reports whether timer t (zero = never) has come.
func due(now, t time.Time) bool { return !t.IsZero() && !now.Before(t) }

// later returns the later of two times (both set).
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
