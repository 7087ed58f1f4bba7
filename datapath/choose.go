package datapath

import (
	"fmt"
	"time"
)

// TransportMode is ssh-mosh's --transport: which datagram path a client
// uses.
type TransportMode int

const (
	// TransportAuto starts on UDP, moves to SSH when UDP stays silent, and
	// moves back when a UDP probe is answered.
	TransportAuto TransportMode = iota
	// TransportUDP uses UDP only, as mosh does.
	TransportUDP
	// TransportSSH sends every datagram over the SSH connection.
	TransportSSH
)

// ParseTransportMode parses auto|udp|ssh ("" = auto).
func ParseTransportMode(s string) (TransportMode, error) {
	switch s {
	case "", "auto":
		return TransportAuto, nil
	case "udp":
		return TransportUDP, nil
	case "ssh":
		return TransportSSH, nil
	}
	return TransportAuto, fmt.Errorf("unknown transport %q (want auto, udp or ssh)", s)
}

func (m TransportMode) String() string {
	switch m {
	case TransportUDP:
		return "udp"
	case TransportSSH:
		return "ssh"
	}
	return "auto"
}

// Route is where one datagram goes.
type Route int

const (
	RouteUDP Route = iota
	RouteSSH
)

func (r Route) String() string {
	if r == RouteSSH {
		return "ssh"
	}
	return "udp"
}

// Path-choice timings of TransportAuto.
const (
	// udpSilenceLimit is how long UDP may stay without an authentic reply
	// (from the start, or since the last one) before auto moves to SSH.
	// A connected session hears at least a heartbeat every 3 s.
	udpSilenceLimit = 3 * time.Second
	// UDPSilenceConnected is the same limit once UDP has worked: a
	// heartbeat interval plus slack, so one lost heartbeat does not move
	// the session.
	UDPSilenceConnected = 7 * time.Second
	// udpProbeInterval is how often auto, while on SSH, sends one datagram
	// by UDP instead to see whether UDP works again. A lost probe costs one
	// retransmission.
	udpProbeInterval = 10 * time.Second
)

// PathChooser decides, per datagram, between UDP and SSH. It is sans-I/O:
// time is passed in, and the caller reports what arrived authentically.
type PathChooser struct {
	Mode TransportMode

	started   time.Time
	onSSH     bool // the active route is SSH
	sshUp     bool // an SSH stream is attached and alive
	udpHeard  time.Time
	lastProbe time.Time
	// lastRoute is the last Route call; resumed, one that came after a
	// pause no session makes while it runs (it sends every few seconds):
	// the process was stopped, or the machine slept. Silence is counted
	// from then, not across the pause: UDP gets its chance first.
	lastRoute time.Time
	resumed   time.Time
	// Notice, when set, is called with one line each time auto changes
	// route.
	Notice func(string)
	// WantSSH, when set, is called with true once each time auto finds UDP
	// silent too long with no SSH stream to move to (one let go once UDP
	// worked): the owner may dial one and Attach it. It is called with
	// false when UDP is heard again after that: the owner may let the
	// stream go again. It runs under the ClientPaths' lock, so it must not
	// block.
	WantSSH func(want bool)
	wanted  bool // WantSSH(true) was called since UDP was last heard
	// Port is the server's UDP port, for the notice.
	Port int
}

// NewPathChooser starts choosing at now.
func NewPathChooser(mode TransportMode, now time.Time) *PathChooser {
	return &PathChooser{Mode: mode, started: now, onSSH: mode == TransportSSH, lastProbe: now}
}

// setSSHUp records whether an SSH stream is attached and alive.
func (c *PathChooser) setSSHUp(up bool) { c.sshUp = up }

// OnSSH reports whether datagrams go over SSH now.
func (c *PathChooser) OnSSH() bool { return c.onSSH }

// Heard records an authentic datagram that came by r.
func (c *PathChooser) Heard(r Route, now time.Time) {
	if r != RouteUDP {
		return
	}
	c.udpHeard = now
	if c.wanted {
		c.wanted = false
		c.WantSSH(false)
	}
	if c.onSSH && c.Mode == TransportAuto {
		c.onSSH = false
		c.notice(fmt.Sprintf("UDP port %d answers again; the session is back on UDP", c.Port))
	}
}

// Route decides where the next datagram goes, switching from UDP to SSH
// when UDP has been silent too long.
func (c *PathChooser) Route(now time.Time) Route {
	switch c.Mode {
	case TransportUDP:
		return RouteUDP
	case TransportSSH:
		return RouteSSH
	}
	if !c.lastRoute.IsZero() && now.Sub(c.lastRoute) >= UDPSilenceConnected {
		c.resumed = now
	}
	c.lastRoute = now
	if !c.onSSH && c.sshUp && c.udpSilent(now) {
		c.onSSH = true
		c.lastProbe = now
		c.notice(fmt.Sprintf("nothing received on UDP port %d for %v: continuing over SSH "+
			"(to use UDP, let UDP 60000-61000 reach the server, e.g. `iptables -I INPUT -p udp --dport 60000:61000 -j ACCEPT`)",
			c.Port, c.silenceLimit().Round(time.Second)))
	}
	if !c.onSSH && !c.sshUp && !c.wanted && c.WantSSH != nil && c.udpSilent(now) {
		c.wanted = true
		c.WantSSH(true)
	}
	if !c.onSSH {
		return RouteUDP
	}
	if !c.sshUp {
		// Re-dialling: UDP may reach the server meanwhile, and it costs
		// nothing to try.
		return RouteUDP
	}
	if now.Sub(c.lastProbe) >= udpProbeInterval {
		c.lastProbe = now
		return RouteUDP
	}
	return RouteSSH
}

// NextWake is when Route would change its answer without a datagram
// arriving (zero if never): the UDP silence limit while on UDP (also
// without an SSH stream when WantSSH would ask for one), the next probe
// while on SSH.
func (c *PathChooser) NextWake() time.Time {
	if c.Mode != TransportAuto {
		return time.Time{}
	}
	if !c.sshUp {
		if c.WantSSH != nil && !c.wanted {
			return c.silenceStart().Add(c.silenceLimit()) // to ask for one
		}
		return time.Time{}
	}
	if !c.onSSH {
		return c.silenceStart().Add(c.silenceLimit())
	}
	return c.lastProbe.Add(udpProbeInterval)
}

func (c *PathChooser) silenceStart() time.Time {
	start := c.udpHeard
	if start.IsZero() {
		start = c.started
	}
	if c.resumed.After(start) {
		return c.resumed
	}
	return start
}

func (c *PathChooser) silenceLimit() time.Duration {
	if c.udpHeard.IsZero() {
		return udpSilenceLimit
	}
	return UDPSilenceConnected
}

func (c *PathChooser) udpSilent(now time.Time) bool {
	return now.Sub(c.silenceStart()) >= c.silenceLimit()
}

func (c *PathChooser) notice(s string) {
	if c.Notice != nil {
		c.Notice(s)
	}
}
