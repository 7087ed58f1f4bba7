package datapath

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestParseTransportMode(t *testing.T) {
	for in, want := range map[string]TransportMode{"": TransportAuto, "auto": TransportAuto, "udp": TransportUDP, "ssh": TransportSSH} {
		if got, err := ParseTransportMode(in); err != nil || got != want {
			t.Errorf("ParseTransportMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseTransportMode("tcp"); err == nil {
		t.Error("tcp accepted")
	}
}

func TestChooserFixedModes(t *testing.T) {
	u := NewPathChooser(TransportUDP, t0)
	u.setSSHUp(true)
	s := NewPathChooser(TransportSSH, t0)
	s.setSSHUp(true)
	for _, d := range []time.Duration{0, time.Second, time.Minute} {
		if r := u.Route(t0.Add(d)); r != RouteUDP {
			t.Errorf("udp mode at +%v: %v", d, r)
		}
		if r := s.Route(t0.Add(d)); r != RouteSSH {
			t.Errorf("ssh mode at +%v: %v", d, r)
		}
	}
	if !u.NextWake().IsZero() || !s.NextWake().IsZero() {
		t.Error("fixed modes have timers")
	}
}

func TestChooserAutoMovesToSSHAndBack(t *testing.T) {
	var notices []string
	c := NewPathChooser(TransportAuto, t0)
	c.Port = 60001
	c.Notice = func(s string) { notices = append(notices, s) }

	// Without an SSH stream, UDP is the only way, however long it is silent.
	if r := c.Route(t0.Add(10 * time.Second)); r != RouteUDP {
		t.Fatalf("no SSH: %v", r)
	}
	c = NewPathChooser(TransportAuto, t0)
	c.Port = 60001
	c.Notice = func(s string) { notices = append(notices, s) }
	c.setSSHUp(true)
	if w := c.NextWake(); !w.Equal(t0.Add(udpSilenceLimit)) {
		t.Fatalf("NextWake = %v, want start + %v", w, udpSilenceLimit)
	}
	if r := c.Route(t0.Add(udpSilenceLimit - time.Millisecond)); r != RouteUDP {
		t.Fatalf("before the limit: %v", r)
	}
	now := t0.Add(udpSilenceLimit)
	if r := c.Route(now); r != RouteSSH || !c.OnSSH() {
		t.Fatalf("at the limit: %v", r)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "UDP port 60001") || !strings.Contains(notices[0], "60000:61000") {
		t.Fatalf("notice = %q: want one line naming the port and the firewall rule", notices)
	}
	// Heard over SSH changes nothing.
	c.Heard(RouteSSH, now)
	if r := c.Route(now.Add(time.Second)); r != RouteSSH {
		t.Fatalf("after SSH reply: %v", r)
	}
	// One datagram per probe interval tries UDP.
	probe := now.Add(udpProbeInterval)
	if w := c.NextWake(); !w.Equal(probe) {
		t.Fatalf("NextWake on SSH = %v, want %v", w, probe)
	}
	if r := c.Route(probe); r != RouteUDP {
		t.Fatalf("probe: %v", r)
	}
	if r := c.Route(probe); r != RouteSSH {
		t.Fatalf("after the probe: %v", r)
	}
	// SSH being re-dialled: UDP meanwhile.
	c.setSSHUp(false)
	if r := c.Route(probe.Add(time.Second)); r != RouteUDP {
		t.Fatalf("SSH down: %v", r)
	}
	c.setSSHUp(true)
	// A UDP answer moves the session back.
	back := probe.Add(2 * time.Second)
	c.Heard(RouteUDP, back)
	if c.OnSSH() || c.Route(back) != RouteUDP || len(notices) != 2 {
		t.Fatalf("after a UDP answer: on SSH %v, notices %q", c.OnSSH(), notices)
	}
	// Once UDP worked, a heartbeat's silence is tolerated before moving.
	if r := c.Route(back.Add(udpSilenceLimit + time.Second)); r != RouteUDP {
		t.Fatalf("short silence after UDP worked: %v", r)
	}
	if r := c.Route(back.Add(UDPSilenceConnected)); r != RouteSSH {
		t.Fatalf("long silence after UDP worked: %v", r)
	}
}

// TestChooserWantsSSHWhenUDPGoesSilent: with no SSH stream, auto asks for
// one (WantSSH(true)) once UDP has been silent too long, once per silence,
// moves to it once one is attached, and says it is no longer needed
// (WantSSH(false)) when UDP answers again.
func TestChooserWantsSSHWhenUDPGoesSilent(t *testing.T) {
	wants, unwants := 0, 0
	c := NewPathChooser(TransportAuto, t0)
	c.WantSSH = func(want bool) {
		if want {
			wants++
		} else {
			unwants++
		}
	}
	c.Heard(RouteUDP, t0)
	limit := t0.Add(UDPSilenceConnected)
	if w := c.NextWake(); !w.Equal(limit) {
		t.Fatalf("NextWake = %v, want the silence limit %v", w, limit)
	}
	if c.Route(limit.Add(-time.Millisecond)); wants != 0 {
		t.Fatalf("asked for SSH %d times before the limit", wants)
	}
	if r := c.Route(limit); r != RouteUDP || wants != 1 {
		t.Fatalf("at the limit: %v, asked %d times; want UDP (nothing else yet), asked once", r, wants)
	}
	// A session sends every few seconds (a longer pause restarts the
	// count: TestChooserPauseRestartsSilence).
	routeUntil := func(from, to time.Time) (r Route) {
		for at := from; !at.After(to); at = at.Add(3 * time.Second) {
			r = c.Route(at)
		}
		return c.Route(to)
	}
	if routeUntil(limit, limit.Add(time.Minute)); wants != 1 || !c.NextWake().IsZero() {
		t.Fatalf("asked %d times in one silence, NextWake %v", wants, c.NextWake())
	}
	c.setSSHUp(true)
	if r := c.Route(limit.Add(time.Minute)); r != RouteSSH {
		t.Fatalf("with the stream attached: %v", r)
	}
	if unwants != 0 {
		t.Fatalf("let go %d times before UDP answered", unwants)
	}
	// UDP answers again: the stream may go (once); then UDP goes silent
	// again, with the stream gone.
	back := limit.Add(time.Minute + 3*time.Second)
	c.Route(back)
	c.Heard(RouteUDP, back)
	c.Heard(RouteUDP, back.Add(time.Second))
	if unwants != 1 || c.OnSSH() {
		t.Fatalf("UDP answered: let go %d times, on SSH %v; want once, on UDP", unwants, c.OnSSH())
	}
	c.setSSHUp(false)
	if routeUntil(back, back.Add(time.Second+UDPSilenceConnected)); wants != 2 {
		t.Fatalf("a second silence: asked %d times in all, want 2", wants)
	}
}

// TestChooserPauseRestartsSilence: after a pause no running session
// makes (the process stopped, the laptop asleep), UDP's silence is counted
// from the resumption: UDP gets its chance before SSH is asked for or
// moved to.
func TestChooserPauseRestartsSilence(t *testing.T) {
	for _, sshUp := range []bool{false, true} {
		wants := 0
		c := NewPathChooser(TransportAuto, t0)
		c.WantSSH = func(want bool) {
			if want {
				wants++
			}
		}
		c.setSSHUp(sshUp)
		c.Heard(RouteUDP, t0)
		c.Route(t0.Add(time.Second))
		resumed := t0.Add(time.Hour)
		if r := c.Route(resumed); r != RouteUDP || wants != 0 {
			t.Fatalf("ssh up %v: right after the pause: %v, asked for SSH %d times", sshUp, r, wants)
		}
		if w := c.NextWake(); !w.Equal(resumed.Add(UDPSilenceConnected)) {
			t.Fatalf("ssh up %v: NextWake %v, want the limit counted from the resumption", sshUp, w)
		}
		// Still silent while trying (a datagram every 3 s): then SSH.
		var r Route
		for at := resumed.Add(3 * time.Second); !at.After(resumed.Add(UDPSilenceConnected)); at = at.Add(3 * time.Second) {
			r = c.Route(at)
		}
		r = c.Route(resumed.Add(UDPSilenceConnected))
		if sshUp && r != RouteSSH || !sshUp && wants != 1 {
			t.Fatalf("ssh up %v: silent since the resumption: %v, asked %d times", sshUp, r, wants)
		}
	}
}

// fakeUDP is a ClientPath standing in for roam.UDPClient.
type fakeUDP struct {
	in   chan roam.Datagram
	sent chan []byte
	hops int
}

func newFakeUDP() *fakeUDP {
	return &fakeUDP{in: make(chan roam.Datagram, 8), sent: make(chan []byte, 16)}
}
func (f *fakeUDP) Send(b []byte) error            { f.sent <- append([]byte(nil), b...); return nil }
func (f *fakeUDP) Incoming() <-chan roam.Datagram { return f.in }
func (f *fakeUDP) Hop() error                     { f.hops++; return nil }
func (f *fakeUDP) Close() error                   { close(f.in); return nil }

func TestClientPathsSwitchResendsOverSSH(t *testing.T) {
	checkGoroutines(t)
	now := t0
	udp := newFakeUDP()
	c := NewClientPaths(udp, NewPathChooser(TransportAuto, t0), func() time.Time { return now })
	defer c.Close()
	a, peer := net.Pipe()
	defer peer.Close()
	if _, err := c.Attach(a); err != nil {
		t.Fatal(err)
	}
	if err := c.Send([]byte("state-1")); err != nil {
		t.Fatal(err)
	}
	if got := string(<-udp.sent); got != "state-1" {
		t.Fatalf("first datagram went %q by UDP", got)
	}
	if c.Status() != "" {
		t.Errorf("status on UDP: %q", c.Status())
	}
	c.SetRedialing("Reconnecting...")
	if c.Status() != "" {
		t.Errorf("a standby re-dial shows while on UDP: %q", c.Status())
	}
	c.SetRedialing("")
	// UDP is silent; at the limit the loop wakes the path, which resends
	// the newest datagram by SSH at once.
	now = t0.Add(udpSilenceLimit)
	if w := c.NextWake(); !w.Equal(now) {
		t.Fatalf("NextWake = %v", w)
	}
	c.Wake(now)
	fr := NewFrameReader(peer)
	if d, err := fr.Next(); err != nil || string(d) != "state-1" {
		t.Fatalf("SSH peer got %q, %v", d, err)
	}
	if !strings.Contains(c.Status(), "SSH") {
		t.Errorf("status on SSH: %q", c.Status())
	}
	c.SetRedialing("Reconnecting...")
	if c.Status() != "Reconnecting..." {
		t.Errorf("status while re-dialling on SSH: %q", c.Status())
	}
	c.SetRedialing("")
	// Replies by SSH come in marked as such; Heard by SSH keeps the route.
	frame, _ := AppendFrame(nil, []byte("reply"))
	go func() { _, _ = peer.Write(frame) }()
	d := <-c.Incoming()
	if ra, ok := d.From.(RouteAddr); !ok || ra.Route != RouteSSH {
		t.Fatalf("From = %v", d.From)
	}
	c.Heard(d.From, now)
	_ = c.Send([]byte("state-2"))
	if d, err := fr.Next(); err != nil || string(d) != "state-2" {
		t.Fatalf("SSH peer got %q, %v", d, err)
	}
	// A UDP datagram heard authentically brings the session back.
	udp.in <- roam.Datagram{Data: []byte("u"), From: &net.UDPAddr{}}
	d = <-c.Incoming()
	c.Heard(d.From, now)
	_ = c.Send([]byte("state-3"))
	if got := string(<-udp.sent); got != "state-3" {
		t.Fatalf("after UDP answered: %q", got)
	}
	if err := c.Hop(); err != nil || udp.hops != 1 {
		t.Fatalf("Hop: %v, %d hops", err, udp.hops)
	}
}

func TestClientPathsSSHEndsAndReattach(t *testing.T) {
	checkGoroutines(t)
	c := NewClientPaths(nil, NewPathChooser(TransportSSH, t0), nil)
	defer c.Close()
	a, peer := net.Pipe()
	dead, err := c.Attach(a)
	if err != nil {
		t.Fatal(err)
	}
	_ = peer.Close()
	select {
	case <-dead:
	case <-time.After(waitBound):
		t.Fatal("dead did not fire")
	}
	if err := c.Send([]byte("x")); err == nil {
		t.Fatal("Send succeeded with the only stream dead")
	}
	c.SetRedialing("Reconnecting over SSH...")
	if c.Status() != "Reconnecting over SSH..." {
		t.Errorf("status while re-dialling: %q", c.Status())
	}
	a2, peer2 := net.Pipe()
	defer peer2.Close()
	if _, err := c.Attach(a2); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.Status(), "Reconnecting") {
		t.Errorf("status after re-attach: %q", c.Status())
	}
	go func() { _ = c.Send([]byte("again")) }()
	if d, err := NewFrameReader(peer2).Next(); err != nil || string(d) != "again" {
		t.Fatalf("new stream got %q, %v", d, err)
	}
}
