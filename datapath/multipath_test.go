package datapath

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
)

// fakeMember is a member path the test drives: datagrams pushed into in
// arrive from the member; sent collects what the multipath sent on it.
type fakeMember struct {
	in     chan roam.Datagram
	sent   chan []byte
	roamed []net.Addr
	closed bool
}

var (
	_ roam.Path     = (*fakeMember)(nil)
	_ roam.RoamPath = (*fakeMember)(nil)
)

func newFakeMember() *fakeMember {
	return &fakeMember{in: make(chan roam.Datagram, 8), sent: make(chan []byte, 8)}
}

func (f *fakeMember) Send(b []byte) error            { f.sent <- append([]byte(nil), b...); return nil }
func (f *fakeMember) Incoming() <-chan roam.Datagram { return f.in }
func (f *fakeMember) Roam(to net.Addr) bool {
	if n := len(f.roamed); n > 0 && f.roamed[n-1].String() == to.String() {
		return false
	}
	f.roamed = append(f.roamed, to)
	return true
}
func (f *fakeMember) Close() error {
	if !f.closed {
		f.closed = true
		close(f.in)
	}
	return nil
}

func nextFrom(t *testing.T, m *Multipath) roam.Datagram {
	t.Helper()
	select {
	case d := <-m.Incoming():
		return d
	case <-time.After(waitBound):
		t.Fatal("no datagram from the multipath")
	}
	return roam.Datagram{}
}

func TestMultipathFollowsNewestSender(t *testing.T) {
	checkGoroutines(t)
	m := NewMultipath()
	defer m.Close()
	udp, ssh := newFakeMember(), newFakeMember()
	idUDP, _ := m.Add(udp)
	idSSH, _ := m.Add(ssh)

	if err := m.Send([]byte("x")); !errors.Is(err, roam.ErrNoPeer) {
		t.Fatalf("Send before any client: %v, want ErrNoPeer", err)
	}
	clientAddr := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 5000}
	udp.in <- roam.Datagram{Data: []byte("a"), From: clientAddr}
	d := nextFrom(t, m)
	ma, ok := d.From.(memberAddr)
	if !ok || ma.ID != idUDP || ma.Inner != clientAddr {
		t.Fatalf("From = %#v, want member %d with the client's address", d.From, idUDP)
	}
	// Only the loop's Roam (authentic and newest) moves the send path.
	if !m.Roam(d.From) || m.Active() != idUDP {
		t.Fatalf("Roam to the UDP member: active %d", m.Active())
	}
	if len(udp.roamed) != 1 || udp.roamed[0] != clientAddr {
		t.Fatalf("the UDP member did not follow the client: %v", udp.roamed)
	}
	_ = m.Send([]byte("1"))
	if got := string(<-udp.sent); got != "1" {
		t.Fatalf("sent %q on UDP", got)
	}

	ssh.in <- roam.Datagram{Data: []byte("b"), From: StreamAddr{Name: "unix", ID: 7}}
	d = nextFrom(t, m)
	// A datagram that is not newest is not followed: nothing changes.
	_ = m.Send([]byte("2"))
	if got := string(<-udp.sent); got != "2" {
		t.Fatalf("sent %q on UDP before Roam", got)
	}
	if !m.Roam(d.From) || m.Active() != idSSH {
		t.Fatalf("Roam to the SSH member: active %d", m.Active())
	}
	_ = m.Send([]byte("3"))
	select {
	case got := <-ssh.sent:
		if string(got) != "3" {
			t.Fatalf("sent %q on SSH", got)
		}
	case got := <-udp.sent:
		t.Fatalf("sent %q on UDP after following SSH", got)
	}
	if m.Roam(d.From) {
		t.Error("Roam to the active member reported a change")
	}
	if m.Roam(&net.UDPAddr{}) {
		t.Error("Roam to a foreign address reported a change")
	}
}

func TestMultipathMemberEnds(t *testing.T) {
	checkGoroutines(t)
	m := NewMultipath()
	defer m.Close()
	a, b := net.Pipe()
	sp := NewStreamPath(a, StreamAddr{Name: "unix", ID: 1})
	id, _ := m.Add(sp)
	frame, _ := AppendFrame(nil, []byte("hello"))
	go func() { _, _ = b.Write(frame) }()
	d := nextFrom(t, m)
	m.Roam(d.From)
	if m.Active() != id {
		t.Fatalf("active %d, want %d", m.Active(), id)
	}
	_ = b.Close()
	deadline := time.Now().Add(waitBound)
	for len(m.Members()) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a dead stream stayed a member")
		}
		time.Sleep(time.Millisecond)
	}
	if m.Active() != 0 {
		t.Fatalf("active %d after its stream ended", m.Active())
	}
	if err := m.Send([]byte("x")); !errors.Is(err, roam.ErrNoPeer) {
		t.Fatalf("Send with no member: %v", err)
	}
}

func TestMultipathClose(t *testing.T) {
	checkGoroutines(t)
	m := NewMultipath()
	f := newFakeMember()
	_, _ = m.Add(f)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if !f.closed {
		t.Error("member not closed")
	}
	if _, ok := <-m.Incoming(); ok {
		t.Error("Incoming open after Close")
	}
	g := newFakeMember()
	if _, err := m.Add(g); !errors.Is(err, errMultipathClosed) || !g.closed {
		t.Errorf("Add after Close: %v (closed %v)", err, g.closed)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
