package sshcfg

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// udpEcho answers every datagram on 127.0.0.1 with "echo:" + it, until the
// test ends. It returns its port.
func udpEcho(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// checkRelay drives a relay process: greeting, datagrams both ways
// (including a large one and an empty frame), and exit at EOF.
func checkRelay(t *testing.T, argv ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	testenv.StartCmd(t, cmd)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	r, err := datapath.SkipRelayPreamble(stdout)
	if err != nil {
		t.Fatalf("%v (stderr %q)", err, stderr.String())
	}
	fr := datapath.NewFrameReader(r)
	for i, msg := range []string{"hello", strings.Repeat("x", 2048), "", "last"} {
		frame, _ := datapath.AppendFrame(nil, []byte(msg))
		if _, err := stdin.Write(frame); err != nil {
			t.Fatal(err)
		}
		if msg == "" {
			continue // an empty frame carries no datagram
		}
		got, err := fr.Next()
		if err != nil {
			t.Fatalf("datagram %d: %v (stderr %q)", i, err, stderr.String())
		}
		if string(got) != "echo:"+msg {
			t.Fatalf("datagram %d: got %.40q", i, got)
		}
	}
	_ = stdin.Close()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("relay exited with %v at EOF (stderr %q)", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("relay still running after EOF on its stdin")
	}
}

func TestPerlRelay(t *testing.T) {
	perl := testenv.MustHaveExec(t, "perl")
	port := udpEcho(t)
	script, _ := RelayScripts()
	checkRelay(t, perl, "-e", script, "127.0.0.1", strconv.Itoa(port))
}

func TestPythonRelay(t *testing.T) {
	py := testenv.MustHaveExec(t, "python3")
	port := udpEcho(t)
	_, script := RelayScripts()
	checkRelay(t, py, "-c", script, "127.0.0.1", strconv.Itoa(port))
}

// The remote command picks Perl for the stock mosh-server and runs it
// under sh exactly as sshd would.
func TestRelayScriptPicksPerl(t *testing.T) {
	testenv.MustHaveExec(t, "perl")
	port := udpEcho(t)
	script := relayScript(RelayRequest{Host: "127.0.0.1", Port: port, Server: "/bin/true"})
	checkRelay(t, "/bin/sh", "-c", script)
}

func TestRelayScriptNoRelay(t *testing.T) {
	script := relayScript(RelayRequest{Host: "127.0.0.1", Port: 1, Server: "/bin/true"})
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=/nonexistent"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no relay possible") {
		t.Fatalf("without perl and python3: %v, %q", err, out)
	}
}

func TestParseUnixSocketLine(t *testing.T) {
	for line, want := range map[string]string{
		UnixSocketMark + "/run/user/0/ssh-mosh/s.sock\r": "/run/user/0/ssh-mosh/s.sock",
		UnixSocketMark + "relative":                      "",
		"MOSH CONNECT 60001 AAAAAAAAAAAAAAAAAAAAAA":      "",
	} {
		got, ok := ParseUnixSocketLine(line)
		if got != want || ok != (want != "") {
			t.Errorf("ParseUnixSocketLine(%q) = %q, %v", line, got, ok)
		}
	}
}
