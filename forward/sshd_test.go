package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// These tests run the forwards through a real sshd on loopback, with a
// test Link whose redial replaces the connection as sshcfg.Link does
// (make before break).

type testLink struct {
	t       *testing.T
	sshd    *testenv.SSHD
	cfg     *ssh.ClientConfig
	mu      sync.Mutex
	client  *ssh.Client
	changed chan struct{}
}

func newTestLink(t *testing.T, sshd *testenv.SSHD, key string) *testLink {
	t.Helper()
	pem, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	hk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(sshd.HostKeyPub))
	if err != nil {
		t.Fatal(err)
	}
	l := &testLink{t: t, sshd: sshd, changed: make(chan struct{}), cfg: &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.FixedHostKey(hk), Timeout: 10 * time.Second,
	}}
	l.client = l.dial()
	t.Cleanup(func() { l.mu.Lock(); _ = l.client.Close(); l.mu.Unlock() })
	return l
}

func (l *testLink) dial() *ssh.Client {
	c, err := ssh.Dial("tcp", l.sshd.Addr, l.cfg)
	if err != nil {
		l.t.Fatalf("dial %s: %v", l.sshd.Addr, err)
	}
	return c
}

func (l *testLink) Client() (*ssh.Client, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.client, l.changed
}

func (l *testLink) Suspect() {}

// redial installs a new connection, then closes the old one.
func (l *testLink) redial() { l.redialWith(nil) }

// redialWith is redial that closes the old connection first and calls
// between before the new one is installed: a test takes a port there as
// an old sshd that has not noticed its client is gone holds it.
func (l *testLink) redialWith(between func()) {
	next := l.dial()
	if between != nil {
		l.mu.Lock()
		_ = l.client.Close()
		l.mu.Unlock()
		between()
	}
	l.mu.Lock()
	old := l.client
	l.client = next
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	_ = old.Close()
}

func startTestSSHD(t *testing.T, extra string) (*testenv.SSHD, string) {
	t.Helper()
	key, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: extra})
	return sshd, key
}

// eventually retries f for up to d.
func eventually(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// socks5Dial connects to target through the SOCKS5 server at proxy, by
// name (as curl --socks5-hostname).
func socks5Dial(proxy, host string, port int) (net.Conn, error) {
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		return nil, err
	}
	req := append([]byte{5, 1, 0, 5, 1, 0, 3, byte(len(host))}, host...)
	req = append(req, byte(port>>8), byte(port))
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}
	var resp [12]byte
	if _, err := io.ReadFull(c, resp[:]); err != nil {
		c.Close()
		return nil, err
	}
	if resp[0] != 5 || resp[1] != 0 || resp[3] != 0 {
		c.Close()
		return nil, fmt.Errorf("SOCKS5 answers % x", resp)
	}
	return c, nil
}

func freePort(t *testing.T) int { return testenv.FreeTCPPort(t) }

var allocated = regexp.MustCompile(`^Allocated port (\d+) for remote forward to (.*)$`)

// -L, -D and -R serve through a real sshd, keep serving after a re-dial
// (the remote forward requested again on the port the server allocated),
// and Close leaves no port open on either side.
func TestForwardsThroughSSHD(t *testing.T) {
	sshd, key := startTestSSHD(t, "")
	link := newTestLink(t, sshd, key)
	web := fmt.Sprintf("127.0.0.1:%d", testenv.ServeHTTP(t, "served file\n"))
	_, webPortS, _ := net.SplitHostPort(web)
	webPort, _ := strconv.Atoi(webPortS)

	lport, dport := freePort(t), freePort(t)
	specs := []Spec{}
	for _, s := range []struct {
		k Kind
		s string
	}{
		{Local, fmt.Sprintf("127.0.0.1:%d:127.0.0.1:%d", lport, webPort)},
		{Dynamic, fmt.Sprintf("127.0.0.1:%d", dport)},
		{Remote, fmt.Sprintf("0:127.0.0.1:%d", webPort)},
	} {
		sp, err := Parse(s.k, s.s)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, sp)
	}
	var (
		mu      sync.Mutex
		notices []string
	)
	var statusChanges atomic.Int32
	fw, err := Start(link, specs, Options{Notice: func(s string) { mu.Lock(); notices = append(notices, s); mu.Unlock() },
		StatusChanged: func() { statusChanges.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			fw.Close()
		}
	}()
	mu.Lock()
	if len(notices) != 1 || !allocated.MatchString(notices[0]) {
		t.Fatalf("notices %q, want one \"Allocated port N for remote forward to 127.0.0.1:%d\"", notices, webPort)
	}
	m := allocated.FindStringSubmatch(notices[0])
	mu.Unlock()
	if m[2] != web {
		t.Errorf("allocated for %q, want %q", m[2], web)
	}
	rport := m[1]

	check := func(when string) {
		t.Helper()
		eventually(t, 10*time.Second, when+": -L", func() error {
			return want(testenv.HTTPGet(nil, fmt.Sprintf("http://127.0.0.1:%d/", lport), 5*time.Second))
		})
		eventually(t, 10*time.Second, when+": -D", func() error {
			dial := func(_ context.Context, _, _ string) (net.Conn, error) {
				return socks5Dial(fmt.Sprintf("127.0.0.1:%d", dport), "localhost", webPort)
			}
			return want(testenv.HTTPGet(dial, "http://web.invalid/", 5*time.Second))
		})
		eventually(t, 10*time.Second, when+": -R", func() error {
			// The remote host is this one: its listener is on loopback.
			return want(testenv.HTTPGet(nil, "http://127.0.0.1:"+rport+"/", 5*time.Second))
		})
	}
	check("first connection")
	link.redial()
	check("after a re-dial")
	// The old sshd still holds the remote port for a while: the request
	// is repeated until it is free, and the bar says so meanwhile.
	// (Both loopback addresses: sshd binds "localhost" on each it can.)
	var held []net.Listener
	link.redialWith(func() {
		eventually(t, 5*time.Second, "take the remote port", func() error {
			ln, err := net.Listen("tcp", "127.0.0.1:"+rport)
			if err == nil {
				held = append(held, ln)
			}
			return err
		})
		// A host without IPv6 loopback: sshd cannot bind it either.
		if ln, err := net.Listen("tcp", "[::1]:"+rport); err == nil {
			held = append(held, ln)
		}
	})
	eventually(t, 2*time.Second, "status while the port is held", func() error {
		if st := fw.Status(); st != "Re-establishing forwards..." {
			return fmt.Errorf("status %q", st)
		}
		return nil
	})
	time.Sleep(1500 * time.Millisecond) // at least one more refused request
	for _, ln := range held {
		ln.Close()
	}
	check("after a re-dial whose old connection lingered")
	if st := fw.Status(); st != "" {
		t.Errorf("status %q once re-established, want none", st)
	}
	// Both changes of the text were announced (a session redraws its bar
	// on them).
	if n := statusChanges.Load(); n < 2 {
		t.Errorf("StatusChanged called %d times across a re-established forward, want at least 2", n)
	}
	// A connection accepted while the SSH connection is down waits for
	// the next one instead of failing.
	link.mu.Lock()
	_ = link.client.Close()
	link.mu.Unlock()
	res := make(chan error, 1)
	go func() { res <- want(testenv.HTTPGet(nil, fmt.Sprintf("http://127.0.0.1:%d/", lport), 5*time.Second)) }()
	time.Sleep(300 * time.Millisecond) // the fetch meets the dead connection
	link.redial()
	if err := <-res; err != nil {
		t.Errorf("-L during the outage: %v", err)
	}
	if f := fw.Failed(); len(f) != 0 {
		t.Errorf("failed forwards %q", f)
	}
	fw.Close()
	closed = true
	for _, addr := range []string{fmt.Sprintf("127.0.0.1:%d", lport), fmt.Sprintf("127.0.0.1:%d", dport), "127.0.0.1:" + rport} {
		eventually(t, 5*time.Second, "port closed after Close", func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				return fmt.Errorf("%s still accepts", addr)
			}
			return nil
		})
	}
}

func want(body string, err error) error {
	if err != nil {
		return err
	}
	if body != "served file\n" {
		return fmt.Errorf("body %q", body)
	}
	return nil
}

// A remote port the server cannot give gets OpenSSH's warning, and with
// ExitOnForwardFailure Start fails; a local port in use likewise.
func TestForwardFailures(t *testing.T) {
	sshd, key := startTestSSHD(t, "")
	link := newTestLink(t, sshd, key)
	port := takenPort(t)
	r, _ := Parse(Remote, fmt.Sprintf("127.0.0.1:%d:127.0.0.1:80", port))
	var notices []string
	fw, err := Start(link, []Spec{r}, Options{Notice: func(s string) { notices = append(notices, s) }})
	if err != nil {
		t.Fatal(err)
	}
	fw.Close()
	wantMsg := fmt.Sprintf("Warning: remote port forwarding failed for listen port %d", port)
	if len(notices) != 1 || notices[0] != wantMsg {
		t.Errorf("notices %q, want %q", notices, wantMsg)
	}
	if _, err := Start(link, []Spec{r}, Options{ExitOnForwardFailure: true}); err == nil ||
		err.Error() != fmt.Sprintf("Error: remote port forwarding failed for listen port %d", port) {
		t.Errorf("ExitOnForwardFailure: %v", err)
	}
	l, _ := Parse(Local, fmt.Sprintf("127.0.0.1:%d:127.0.0.1:80", port))
	if _, err := Start(link, []Spec{l}, Options{ExitOnForwardFailure: true}); err == nil || err.Error() != "Could not request local forwarding." {
		t.Errorf("local ExitOnForwardFailure: %v", err)
	}
}

// sshAddL runs ssh-add -l on the remote host with SSH_AUTH_SOCK=sock and
// returns its output and exit status.
func sshAddL(t *testing.T, link *testLink, sock string) (string, int) {
	t.Helper()
	client, _ := link.Client()
	s, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.CombinedOutput("SSH_AUTH_SOCK=" + shellQuote(sock) + " ssh-add -l")
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitStatus()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// The remote SSH_AUTH_SOCK is a symlink in a 0700 directory that reaches
// the local agent, and again after a re-dial (re-pointed at the new
// connection's socket).
func TestAgentThroughSSHD(t *testing.T) {
	testenv.MustHaveExec(t, "ssh-add")
	sshd, key := startTestSSHD(t, "")
	link := newTestLink(t, sshd, key)
	agentKey, _ := testenv.NewUserKey(t, "", "")
	sock := testenv.StartSSHAgent(t, agentKey)
	a, err := StartAgent(link, sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p := a.Path()
	// The remote host is this one: look at the directory directly.
	fi, err := os.Lstat(filepath.Dir(p))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("agent directory %s: %v %v, want a 0700 directory", filepath.Dir(p), fi.Mode(), err)
	}
	defer os.RemoveAll(filepath.Dir(p))
	out, code := sshAddL(t, link, p)
	if code != 0 || !strings.Contains(out, "testenv-user") {
		t.Fatalf("ssh-add -l through %s: status %d %q", p, code, out)
	}
	first, _ := os.Readlink(p)
	link.redial()
	eventually(t, 10*time.Second, "ssh-add -l after a re-dial", func() error {
		out, code := sshAddL(t, link, p)
		if code != 0 || !strings.Contains(out, "testenv-user") {
			return fmt.Errorf("status %d %q", code, out)
		}
		return nil
	})
	if second, _ := os.Readlink(p); second == first {
		t.Errorf("the link still points at the first connection's socket %s", first)
	}
	if a.Path() != p {
		t.Errorf("the path changed: %s then %s", p, a.Path())
	}
}

// A server with AllowAgentForwarding no refuses, and nothing is made.
func TestAgentRefused(t *testing.T) {
	sshd, key := startTestSSHD(t, "AllowAgentForwarding no")
	link := newTestLink(t, sshd, key)
	sock := testenv.StartSSHAgent(t)
	if _, err := StartAgent(link, sock, nil); !errors.Is(err, ErrAgentRefused) {
		t.Fatalf("StartAgent = %v, want ErrAgentRefused", err)
	}
}

// TestLocalForwardLoopbackHalfTaken: -L PORT on localhost when another
// program holds 127.0.0.1:PORT and ::1:PORT is free. As ssh, the forward
// listens on ::1 and says that 127.0.0.1 failed (most clients of
// "localhost:PORT" would reach the other program); it is not a failure of
// the whole forward.
func TestLocalForwardLoopbackHalfTaken(t *testing.T) {
	sshd, key := startTestSSHD(t, "")
	link := newTestLink(t, sshd, key)
	port := takenPort(t)
	if v6, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", port)); err != nil {
		t.Skipf("no ::1:%d here: %v", port, err)
	} else {
		v6.Close()
	}
	l, _ := Parse(Local, fmt.Sprintf("%d:127.0.0.1:80", port))
	var notices []string
	fw, err := Start(link, []Spec{l}, Options{Notice: func(s string) { notices = append(notices, s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	want := fmt.Sprintf("bind [127.0.0.1]:%d: Address already in use", port)
	if len(notices) != 1 || notices[0] != want {
		t.Errorf("notices %q, want %q", notices, want)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("[::1]:%d", port))
	if err != nil {
		t.Fatalf("the forward does not listen on ::1: %v", err)
	}
	c.Close()
}

// takenPort holds a port on 127.0.0.1 for the test, as another program
// would, and returns it.
func takenPort(t *testing.T) int {
	t.Helper()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	return taken.Addr().(*net.TCPAddr).Port
}
