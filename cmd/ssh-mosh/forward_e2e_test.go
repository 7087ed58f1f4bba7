package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// httpHelperEnv makes the test binary an HTTP server (the remote side's):
// it serves the text in httpHelperBody on the address in httpHelperEnv.
const (
	httpHelperEnv  = "SSH_MOSH_TEST_HTTP_ADDR"
	httpHelperBody = "SSH_MOSH_TEST_HTTP_BODY"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(httpHelperEnv); addr != "" {
		body := os.Getenv(httpHelperBody)
		err := http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, body)
		}))
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// startRemoteHTTP starts the test binary as an HTTP server process on a
// free loopback port, as a web server on the remote host would be.
func startRemoteHTTP(t *testing.T, body string) int {
	t.Helper()
	port := testenv.FreeTCPPort(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), httpHelperEnv+"=127.0.0.1:"+strconv.Itoa(port), httpHelperBody+"="+body)
	testenv.StartCmd(t, cmd)
	waitServes(t, fmt.Sprintf("http://127.0.0.1:%d/", port), body, 10*time.Second)
	return port
}

// waitServes waits until url answers body, within d.
func waitServes(t *testing.T, url, body string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got, err := testenv.HTTPGet(nil, url, 3*time.Second)
		if err == nil && got == body {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not serve %q within %v: %q %v", url, body, d, got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSOCKS waits until curl --socks5-hostname through proxy fetches url.
func waitSOCKS(t *testing.T, proxy, url, body string, d time.Duration) {
	t.Helper()
	curl := testenv.MustHaveExec(t, "curl")
	deadline := time.Now().Add(d)
	for {
		out, err := exec.Command(curl, "-s", "--max-time", "3", "--socks5-hostname", proxy, url).Output()
		if err == nil && string(out) == body {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("curl --socks5-hostname %s %s did not give %q within %v: %q %v", proxy, url, body, d, out, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// wantClosed fails unless nothing listens on 127.0.0.1:port (within d).
func wantClosed(t *testing.T, port int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Errorf("port %d still open %v after the session", port, d)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// connectionSSHDs lists the per-connection sshd processes of s (its
// descendants named sshd*, not the listener).
func connectionSSHDs(s *testenv.SSHD) []int {
	var out []int
	for _, p := range testenv.Descendants(s.PID) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p))
		if strings.HasPrefix(strings.TrimSpace(string(b)), "sshd") {
			out = append(out, p)
		}
	}
	return out
}

// shellSays types cmd into the session and waits for the marker line it
// prints (a counter keeps each marker unique on screen).
func shellSays(t *testing.T, m *testenv.Tmux, cmd string, re *regexp.Regexp, d time.Duration) []string {
	t.Helper()
	m.SendText("clear; " + cmd + "\r")
	var got []string
	m.WaitForFunc(re.String(), func(s string) bool {
		got = re.FindStringSubmatch(s)
		return got != nil
	}, d)
	return got
}

// TestForwardsAndAgentThroughJumpChain is issue 20's "Done when": a
// roaming session through a real jump host with -A -L -R -D and a
// LocalForward from ssh_config; every sshd connection process killed; the
// same shell answers, the forwards and the agent work again, both hops
// logged a new login; exit leaves nothing running.
func TestForwardsAndAgentThroughJumpChain(t *testing.T) {
	f := newRemoteFixture(t)
	testenv.MustHaveExec(t, "ssh-add")
	b, err := os.ReadFile(f.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	jump := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{strings.TrimSpace(string(b))}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(jump.KnownHostsLine+"\n"+f.sshd.KnownHostsLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	agentKey, _ := testenv.NewUserKey(t, "", "")
	agentSock := testenv.StartSSHAgent(t, agentKey)

	remoteWeb := startRemoteHTTP(t, "remote side\n")
	localWeb := testenv.ServeHTTP(t, "local side\n")
	lport, cfgPort, rport, dport := testenv.FreeTCPPort(t), testenv.FreeTCPPort(t), testenv.FreeTCPPort(t), testenv.FreeTCPPort(t)

	id := fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n", f.key)
	cfg := writeConfig(t, hostBlock("jump", jump, kh, id)+
		hostBlock("target", f.sshd, kh, id+"  ProxyJump jump\n"+fmt.Sprintf("  LocalForward %d 127.0.0.1:%d\n", cfgPort, remoteWeb)))
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 100, Height: 30, Env: []string{"SSH_AUTH_SOCK=" + agentSock}},
		f.sshMosh, "-F", cfg, "--server="+f.server, "-A",
		"-L", fmt.Sprintf("%d:127.0.0.1:%d", lport, remoteWeb),
		"-R", fmt.Sprintf("%d:127.0.0.1:%d", rport, localWeb),
		"-D", strconv.Itoa(dport), "target")
	m.WaitFor("#", 20*time.Second)
	prompt := time.Now()

	check := func(when string, within time.Duration) {
		t.Helper()
		waitServes(t, fmt.Sprintf("http://127.0.0.1:%d/", lport), "remote side\n", within)
		waitServes(t, fmt.Sprintf("http://127.0.0.1:%d/", rport), "local side\n", within)
		waitServes(t, fmt.Sprintf("http://127.0.0.1:%d/", cfgPort), "remote side\n", within)
		waitSOCKS(t, fmt.Sprintf("127.0.0.1:%d", dport), fmt.Sprintf("http://localhost:%d/", remoteWeb), "remote side\n", within)
		deadline := time.Now().Add(within)
		for n := 0; ; n++ {
			// The marker ends its line; blanks may follow it in the
			// capture: tmux's capture-pane -N shows the cells an erase
			// to the end of the line cleared as spaces when the line held
			// text there before (here the wrapped command line, when the
			// echo arrives as a diff rather than on a cleared screen).
			got := shellSays(t, m, fmt.Sprintf(`echo "agent-$(ssh-add -l >/dev/null; echo $?)-$(stat -c %%a "$(dirname "$SSH_AUTH_SOCK")")-$(ssh-add -l | grep -c testenv-user)-%s-%d"`, when, n),
				regexp.MustCompile(fmt.Sprintf(`agent-(\d+)-(\d+)-(\d+)-%s-%d"? *\n`, when, n)), time.Until(deadline))
			if got[1] == "0" && got[2] == "700" && got[3] == "1" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: ssh-add -l status %s, socket directory mode %s, keys listed %s; want 0, 700, 1", when, got[1], got[2], got[3])
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	check("first", 5*time.Second)
	t.Logf("forwards and agent served %v after the prompt", time.Since(prompt).Round(time.Millisecond))
	got := shellSays(t, m, `echo "parent=$(cat /proc/$PPID/comm)=pid=$$="`, regexp.MustCompile(`parent=(\S+)=pid=(\d+)=`), 10*time.Second)
	if got[1] != "mosh-server" {
		t.Errorf("the shell's parent is %q, want mosh-server", got[1])
	}
	shellPID := got[2]
	got = shellSays(t, m, `echo "sock=$SSH_AUTH_SOCK="`, regexp.MustCompile(`sock=(/\S+)=`), 10*time.Second)
	agentDir := filepath.Dir(got[1])
	t.Cleanup(func() { _ = os.RemoveAll(agentDir) }) // after a failure; a clean exit removed it
	if !strings.HasPrefix(filepath.Base(agentDir), "ssh-mosh-agent.") {
		t.Errorf("SSH_AUTH_SOCK %s is not in a directory of ours", got[1])
	}

	logins := func(s *testenv.SSHD) int { return strings.Count(s.Log(), "Accepted publickey") }
	jumpBefore, targetBefore := logins(jump), logins(f.sshd)
	// Both lists first: killing the jump's connection ends the target's
	// soon after, which must not hide it from the count.
	jumpPIDs, targetPIDs := connectionSSHDs(jump), connectionSSHDs(f.sshd)
	if len(jumpPIDs) == 0 || len(targetPIDs) == 0 {
		t.Fatalf("sshd connection processes: jump %v, target %v; want some on both", jumpPIDs, targetPIDs)
	}
	for _, p := range append(jumpPIDs, targetPIDs...) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	killed := time.Now()
	got = shellSays(t, m, `echo "again=$$="`, regexp.MustCompile(`again=(\d+)=`), 20*time.Second)
	if got[1] != shellPID {
		t.Errorf("after the kill the shell is %s, want the same shell %s", got[1], shellPID)
	}
	check("after", 20*time.Second-time.Since(killed))
	t.Logf("everything served again %v after the kill", time.Since(killed).Round(time.Millisecond))
	if logins(jump) <= jumpBefore || logins(f.sshd) <= targetBefore {
		t.Errorf("logins jump %d→%d, target %d→%d: want a new login on both hops", jumpBefore, logins(jump), targetBefore, logins(f.sshd))
	}

	m.SendText("exit\r")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
	}
	wantNoSessionProcesses(t, f.sshd, 10*time.Second)
	wantNoSessionProcesses(t, jump, 10*time.Second)
	for _, p := range []int{lport, cfgPort, rport, dport} {
		wantClosed(t, p, 5*time.Second)
	}
	if _, err := os.Lstat(agentDir); !os.IsNotExist(err) {
		t.Errorf("the agent directory %s is left on the remote host (%v)", agentDir, err)
		_ = os.RemoveAll(agentDir)
	}
}

// Without -A (and no ForwardAgent) the remote shell has no agent at all,
// even with one on the client.
func TestNoAgentWithoutA(t *testing.T) {
	f := newRemoteFixture(t)
	testenv.MustHaveExec(t, "ssh-add")
	agentKey, _ := testenv.NewUserKey(t, "", "")
	agentSock := testenv.StartSSHAgent(t, agentKey)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK=" + agentSock}},
		f.sshMosh, "-F", f.config, "--server="+f.server, "target")
	m.WaitFor("#", 20*time.Second)
	got := shellSays(t, m, `ssh-add -l; echo "status=$?="`, regexp.MustCompile(`status=(\d+)=`), 10*time.Second)
	if got[1] != "2" {
		t.Errorf("ssh-add -l without -A exited %s, want 2 (no agent)", got[1])
	}
	m.SendText("exit\r")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}

// With mosh 1.4's own mosh-server the forwarded agent reaches the shell
// too (SSH_AUTH_SOCK is exported before the server starts, where its -l
// would be ignored under a UTF-8 locale), and a -L forward serves.
func TestAgentAndForwardWithRealServer(t *testing.T) {
	f := newRemoteFixture(t)
	testenv.MustHaveExec(t, "ssh-add")
	agentKey, _ := testenv.NewUserKey(t, "", "")
	agentSock := testenv.StartSSHAgent(t, agentKey)
	remoteWeb := startRemoteHTTP(t, "remote side\n")
	lport := testenv.FreeTCPPort(t)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK=" + agentSock}},
		f.sshMosh, "-F", f.config, "-A", "-L", fmt.Sprintf("%d:127.0.0.1:%d", lport, remoteWeb), "target")
	m.WaitFor("#", 20*time.Second)
	waitServes(t, fmt.Sprintf("http://127.0.0.1:%d/", lport), "remote side\n", 5*time.Second)
	got := shellSays(t, m, `echo "parent=$(cat /proc/$PPID/comm)=agent=$(ssh-add -l | grep -c testenv-user)="`,
		regexp.MustCompile(`parent=(\S+)=agent=(\d+)=`), 10*time.Second)
	if got[1] != "mosh-server" || got[2] != "1" {
		t.Errorf("parent %q, keys listed %s; want mosh-server and 1", got[1], got[2])
	}
	m.SendText("exit\r")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	wantClosed(t, lport, 5*time.Second)
}
