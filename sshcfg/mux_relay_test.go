package sshcfg

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestStartRelayThroughMaster: a relay started through a real OpenSSH
// master carries datagrams both ways to a UDP port on the remote host (here
// the same machine), and closing the stream ends the relay; without a
// master the error names the host.
func TestStartRelayThroughMaster(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "perl")
	dir := t.TempDir()
	key, pub := testenv.NewUserKey(t, dir, "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(t, "target", key)
	m := MuxStarter{Config: &Config{Host: "target", ControlPath: testenv.StartSSHMaster(t, cfg, "target")}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	port := udpEcho(t)
	s, err := m.StartRelay(ctx, RelayRequest{Host: "127.0.0.1", Port: port, Server: "/bin/true"})
	if err != nil {
		t.Fatal(err)
	}
	fr := datapath.NewFrameReader(s)
	for i, msg := range []string{"hello", strings.Repeat("x", 2048), "last"} {
		frame, _ := datapath.AppendFrame(nil, []byte(msg))
		if _, err := s.Write(frame); err != nil {
			t.Fatal(err)
		}
		got, err := fr.Next()
		if err != nil || string(got) != "echo:"+msg {
			t.Fatalf("datagram %d: %.40q, %v", i, got, err)
		}
	}
	if len(sshd.SessionPIDs()) == 0 {
		t.Fatal("no relay process on the remote host while the stream is open")
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(sshd.SessionPIDs()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the relay outlived its stream: %v", sshd.SessionPIDs())
		}
		time.Sleep(20 * time.Millisecond)
	}

	none := MuxStarter{Config: &Config{Host: "target", ControlPath: filepath.Join(dir, "no-master")}}
	if _, err := none.StartRelay(ctx, RelayRequest{Host: "127.0.0.1", Port: port}); err == nil || !strings.Contains(err.Error(), "target: ") {
		t.Errorf("a relay through no master: %v, want an error naming the host", err)
	}
}
