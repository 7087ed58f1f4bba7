package main

import (
	"errors"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/forward"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// planForwards gathers forwards as ssh does: the command line's, then the
// config's; ClearAllForwardings drops both; -A and -a win over
// ForwardAgent; what needs OpenSSH says so.
func TestPlanForwards(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "/run/agent.sock")
	t.Setenv("MY_AGENT", "/run/other.sock")
	o := &Options{LocalForwards: []string{"8080:web:80"}, RemoteForwards: []string{"0:localhost:22"}, DynamicForwards: []string{"1080"}, GatewayPorts: true}
	c := &sshcfg.Config{LocalForwards: []string{"9090 db:5432"}, ForwardAgent: "no", ExitOnForwardFailure: true}
	p, err := planForwards(o, c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.specs {
		got = append(got, s.Kind.String()+" "+s.Listen()+" "+s.Target())
	}
	want := []string{"local 8080 web:80", "local 9090 db:5432", "remote 0 localhost:22", "dynamic 1080 :0"}
	if len(got) != len(want) {
		t.Fatalf("specs %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("spec %d = %q, want %q", i, got[i], want[i])
		}
	}
	if p.agentSock != "" || !p.gatewayPorts || !p.exitOnFail {
		t.Errorf("agent %q gateway %v exitOnFail %v", p.agentSock, p.gatewayPorts, p.exitOnFail)
	}

	for _, tc := range []struct {
		o    Options
		fa   string
		ia   string
		want string
	}{
		{Options{ForwardAgent: true}, "no", "", "/run/agent.sock"},
		{Options{NoForwardAgent: true}, "yes", "", ""},
		{Options{}, "yes", "", "/run/agent.sock"},
		{Options{}, "yes", "none", ""},
		{Options{}, "yes", "$MY_AGENT", "/run/other.sock"},
		{Options{}, "$MY_AGENT", "", "/run/other.sock"},
		{Options{}, "/tmp/a.sock", "", "/tmp/a.sock"},
		{Options{}, "no", "", ""},
	} {
		p, err := planForwards(&tc.o, &sshcfg.Config{ForwardAgent: tc.fa, IdentityAgent: tc.ia})
		if err != nil || p.agentSock != tc.want {
			t.Errorf("-A %v -a %v ForwardAgent %q IdentityAgent %q: agent %q, %v; want %q", tc.o.ForwardAgent, tc.o.NoForwardAgent, tc.fa, tc.ia, p.agentSock, err, tc.want)
		}
	}

	p, err = planForwards(o, &sshcfg.Config{ClearAllForwardings: true, LocalForwards: []string{"1 h:2"}})
	if err != nil || len(p.specs) != 0 || !p.empty() {
		t.Errorf("ClearAllForwardings kept %v (%v)", p.specs, err)
	}
	if _, err := planForwards(&Options{LocalForwards: []string{"8080:/run/s.sock"}}, &sshcfg.Config{}); !errors.Is(err, forward.ErrNeedsOpenSSH) {
		t.Errorf("unix socket forward: %v, want ErrNeedsOpenSSH", err)
	}
	if _, err := planForwards(&Options{}, &sshcfg.Config{RemoteForwards: []string{"1080"}}); !errors.Is(err, forward.ErrNeedsOpenSSH) {
		t.Errorf("remote SOCKS forward: %v, want ErrNeedsOpenSSH", err)
	}
	if _, err := planForwards(&Options{LocalForwards: []string{"8080"}}, &sshcfg.Config{}); err == nil || errors.Is(err, forward.ErrNeedsOpenSSH) {
		t.Errorf("bad -L: %v, want ssh's bad-spec error", err)
	}
}

// The bar shows the side connection's re-dial while forwards ride it,
// then what the forwards say, and nothing without forwards.
func TestSideLinkStatus(t *testing.T) {
	s := &sideLink{}
	fw := ""
	forwards := func() string { return fw }
	if got := s.status(forwards); got != "" {
		t.Errorf("idle: %q", got)
	}
	s.onStatus(nil)
	if got, want := s.status(forwards), "Re-establishing forwards: Connection lost: reconnecting over SSH..."; got != want {
		t.Errorf("link lost: %q, want %q", got, want)
	}
	if got := s.status(nil); got != "" {
		t.Errorf("no forwards: %q, want nothing", got)
	}
	s.onStatus(errors.New("connect to host h port 22: Connection refused"))
	if got, want := s.status(forwards), "Re-establishing forwards: Reconnecting over SSH (connect to host h port 22: Connection re…)..."; got != want {
		t.Errorf("re-dial failed: %q, want %q", got, want)
	}
	s.setNote("") // Connected
	fw = "Re-establishing forwards..."
	if got := s.status(forwards); got != fw {
		t.Errorf("remote forwards pending: %q", got)
	}
}
