package roam

import (
	"fmt"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// Side says which end of a session a Transport is. It fixes the direction
// bit of the datagrams it sends and accepts, and the socket-facing policies
// (only a server waits for the peer's first datagram and forgets a silent
// peer; only a client hops ports).
type Side uint8

const (
	// Client sends wire.ToServer datagrams and accepts wire.ToClient ones.
	Client Side = iota
	// Server sends wire.ToClient datagrams and accepts wire.ToServer ones.
	Server
)

func (s Side) String() string {
	switch s {
	case Client:
		return "client"
	case Server:
		return "server"
	}
	return fmt.Sprintf("side(%d)", uint8(s))
}

// sendDir is the direction bit of the datagrams this side sends.
func (s Side) sendDir() wire.Direction {
	if s == Server {
		return wire.ToClient
	}
	return wire.ToServer
}

// recvDir is the direction bit this side accepts.
func (s Side) recvDir() wire.Direction {
	if s == Server {
		return wire.ToServer
	}
	return wire.ToClient
}

// Mosh 1.4's timing constants (src/network/transportsender.h, network.h).
// They are the defaults of Config.
const (
	MoshSendIntervalMin        = 20 * time.Millisecond
	MoshSendIntervalMax        = 250 * time.Millisecond
	MoshAckInterval            = 3000 * time.Millisecond
	MoshAckDelay               = 100 * time.Millisecond
	MoshShutdownRetries        = 16
	MoshActiveRetryTimeout     = 10000 * time.Millisecond
	MoshSendMinDelay           = 8 * time.Millisecond
	MoshClientSendMinDelay     = 1 * time.Millisecond // stmclient.cc: set_send_delay( 1 )
	MoshMinRTO                 = 50 * time.Millisecond
	MoshMaxRTO                 = 1000 * time.Millisecond
	MoshServerAssociationLimit = 40000 * time.Millisecond
	MoshPortHopInterval        = 10000 * time.Millisecond
)

// Protocol limits that are not tunable: changing them would change what a
// real mosh peer sees or accepts.
const (
	// sentStatesLimit bounds the sender's list of remembered states; when
	// exceeded the 16th-newest is erased (add_sent_state).
	sentStatesLimit = 32
	sentStatesErase = 16
	// receivedStatesLimit is the receiver's queue length beyond which at
	// most one more state per receiverQuench is accepted.
	receivedStatesLimit = 1024
	receiverQuench      = 15 * time.Second
	// receivedStatesBytes bounds the bytes of the remote states a receiver
	// keeps, by State.Size estimates. mosh has no such bound: 1024 states
	// of a 2 Mi-cell screen would be 64 GiB. Beyond it the states between
	// the oldest and the newest go, oldest first (receiver.trim). Not a
	// protocol limit: it changes nothing on the wire, only which diffs a
	// receiver can apply.
	receivedStatesBytes = 128 << 20
	// resendDiffSlack and resendDiffLimit decide the prospective resend
	// (attempt_prospective_resend_optimization).
	resendDiffSlack = 100
	resendDiffLimit = 1000
	// congestionPenalty is subtracted from a timestamp that arrived with
	// ECN CE set, so that the peer measures a longer RTT and slows down.
	congestionPenalty = 500
	// rttSampleLimit drops RTT samples this large (a stopped process).
	rttSampleLimit = 5000
	// echoHoldLimit is how long a received timestamp stays eligible for
	// echoing.
	echoHoldLimit = 1000 * time.Millisecond
	// shutdownNum is the new_num of every instruction sent while shutting
	// down.
	shutdownNum = ^uint64(0)
	// chaffMax is the largest chaff length (CHAFF_MAX).
	chaffMax = 16
)

// Config holds the transport's timing knobs. The zero value means mosh 1.4's
// values (the Mosh* constants) with this package's send policy; any field
// left zero takes its default.
//
// # Send policy
//
// Mosh delays every new state by at least SEND_MINDELAY (8 ms on the server,
// 1 ms on the client) and by the send interval since the previous send,
// which costs a keystroke or a frame up to 250 ms on an otherwise idle link.
// The wire does not care about pacing, so unless StrictMoshPacing is set a
// Transport sends a changed state at once when the link is idle, defined as:
// the first pending change happened at least one send interval after the last
// datagram that carried data; or the peer has acknowledged every state sent
// (nothing is in flight, which within an interval happens only on a link
// faster than the interval's floor, and only when the peer sends data of its
// own: it delays its other acks by AckDelay). Bursts are still coalesced
// exactly as mosh does: a state that changes again within the send interval,
// while the last is unacknowledged, waits until the interval has passed (and
// SendMinDelay since its first change). Datagrams that carry data are
// therefore still at least one send interval apart unless the peer answers
// each one, the frame-rate cap mosh relies on; only the waiting on an idle
// or acknowledged link is gone.
// Empty acks (heartbeats) do not count as data, so a keystroke right after a
// heartbeat is not delayed either; nor, when LightDiff is set, do datagrams
// whose diff is that small (bookkeeping such as a terminal's echo ack), so a
// keystroke's echo right after one is not held back.
type Config struct {
	SendIntervalMin, SendIntervalMax time.Duration
	// AckInterval is the heartbeat: an empty ack at least this often.
	AckInterval time.Duration
	// AckDelay is how long a received data state may wait for its ack, and
	// the slack added to the RTO before an unacked state is presumed lost.
	AckDelay time.Duration
	// ShutdownRetries is how many shutdown instructions are sent before
	// ShutdownAckTimedOut reports true.
	ShutdownRetries int
	// ActiveRetryTimeout: unacked data is resent at frame rate only while
	// the peer was heard within this long; it is also the shutdown timeout.
	ActiveRetryTimeout time.Duration
	// SendMinDelay is the collection delay applied to bursts (mosh's
	// SEND_MINDELAY). Zero means mosh's value for the side: 8 ms on the
	// server, and 1 ms on the client, where mosh-client sets it for
	// keystrokes (set_send_delay).
	SendMinDelay time.Duration
	// MinRTO and MaxRTO clamp the retransmission timeout.
	MinRTO, MaxRTO time.Duration
	// ServerAssociationTimeout: a server that heard nothing authentic for
	// this long stops sending until the client's next datagram.
	ServerAssociationTimeout time.Duration
	// PortHopInterval: the client picks a new source port when both its last
	// port choice and its last round trip are older than this.
	PortHopInterval time.Duration
	// MTU is the datagram size limit (wire.MTUv4 if zero); the socket layer
	// sets the real one with SetMTU.
	MTU int
	// LightDiff, when positive, is the diff size (bytes) up to which a
	// datagram does not count as data for the idle-link test: it does not
	// start a burst. 0 means every non-empty diff counts, as in mosh.
	LightDiff int
	// StrictMoshPacing makes the transport wait exactly like mosh 1.4
	// (SEND_MINDELAY and the send interval on every change), for side by
	// side comparisons.
	StrictMoshPacing bool
}

// withDefaults returns a copy with every zero field set to its default for
// side.
func (c Config) withDefaults(side Side) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.SendIntervalMin, MoshSendIntervalMin)
	def(&c.SendIntervalMax, MoshSendIntervalMax)
	def(&c.AckInterval, MoshAckInterval)
	def(&c.AckDelay, MoshAckDelay)
	def(&c.ActiveRetryTimeout, MoshActiveRetryTimeout)
	if side == Client {
		def(&c.SendMinDelay, MoshClientSendMinDelay)
	}
	def(&c.SendMinDelay, MoshSendMinDelay)
	def(&c.MinRTO, MoshMinRTO)
	def(&c.MaxRTO, MoshMaxRTO)
	def(&c.ServerAssociationTimeout, MoshServerAssociationLimit)
	def(&c.PortHopInterval, MoshPortHopInterval)
	if c.ShutdownRetries <= 0 {
		c.ShutdownRetries = MoshShutdownRetries
	}
	if c.MTU <= 0 {
		c.MTU = wire.MTUv4
	}
	return c
}

// validate rejects configurations that cannot work.
func (c Config) validate() error {
	if c.SendIntervalMin > c.SendIntervalMax {
		return fmt.Errorf("send interval min %v above max %v", c.SendIntervalMin, c.SendIntervalMax)
	}
	if c.MinRTO > c.MaxRTO {
		return fmt.Errorf("rto min %v above max %v", c.MinRTO, c.MaxRTO)
	}
	if wire.FragmentDataSize(c.MTU) <= 0 {
		return fmt.Errorf("mtu %d too small", c.MTU)
	}
	return nil
}
