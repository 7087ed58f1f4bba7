package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// How an interactive session ends, under ssh (the oracle, through a real
// sshd) and under ssh-mosh (our server), compared: the status and the
// closing lines ssh prints ("Connection to H closed by remote host.", and
// at LogLevel INFO "Connection to H closed.").

// closingRE matches ssh's closing lines.
var closingRE = regexp.MustCompile(`Connection to \S+ closed( by remote host)?\.`)

// endRig is an sshd and the two clients to compare.
type endRig struct {
	cfg     string
	clients []endClient
}

type endClient struct {
	name string
	argv []string
}

func newEndRig(t *testing.T) *endRig {
	t.Helper()
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	testenv.MustHaveExec(t, "tmux")
	sshBin := testenv.MustHaveExec(t, "ssh")
	key, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(t, "target", key)
	sshMosh := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	server := testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server")
	return &endRig{cfg: cfg, clients: []endClient{
		{"ssh", []string{sshBin}},
		{"ssh-mosh", []string{sshMosh, "--server=" + server}},
	}}
}

// login starts c in a tmux pane with extra options and waits for the
// remote shell's prompt.
func (r *endRig) login(t *testing.T, c endClient, opts ...string) *testenv.Tmux {
	t.Helper()
	argv := append(append(append([]string{}, c.argv...), "-F", r.cfg), opts...)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 100, Height: 30, Env: []string{"SSH_AUTH_SOCK="}},
		append(argv, "target")...)
	waitRootPrompt(m, waitLong)
	return m
}

// waitRootPrompt waits for root's shell prompt ("#") at the end of the
// screen, through whichever client.
func waitRootPrompt(m *testenv.Tmux, timeout time.Duration) string {
	return m.WaitForFunc("a shell prompt", func(s string) bool { return strings.HasSuffix(strings.TrimRight(s, "\n "), "#") }, timeout)
}

// closing is the closing lines on the screen and in the history, in order.
func closing(m *testenv.Tmux) []string {
	return closingRE.FindAllString(m.CaptureHistory(false), -1)
}

// TestExitLeavingBackgroundJobLikeOpenSSH: a shell that exits while a job
// it started in the background still holds its terminal ends the session
// at once, with its status, under ssh and under ssh-mosh alike, and the
// job runs on. mosh-server would wait for the job to end.
func TestExitLeavingBackgroundJobLikeOpenSSH(t *testing.T) {
	r := newEndRig(t)
	jobRE := regexp.MustCompile(`JOB=(\d+)`)
	var lines [][]string
	for _, c := range r.clients {
		m := r.login(t, c, "-o", "LogLevel=INFO")
		// The quotes keep the marker out of the echoed command line.
		m.SendText("sleep 300 & echo JO''B=$!\r")
		screen := m.WaitForFunc("the job's pid", jobRE.MatchString, waitLong)
		pid, _ := strconv.Atoi(jobRE.FindStringSubmatch(screen)[1])
		t.Cleanup(func() { testenv.KillPID(pid) })
		m.SendText("exit 3\r")
		start := time.Now()
		if st := m.WaitExit(waitLong); st != 3 {
			t.Errorf("%s ended with %d, want 3; screen:\n%s", c.name, st, testenv.FrameScreen(m.Capture()))
		}
		// ssh takes a few ms; ours waits for the terminal to be quiet
		// (orphanQuiet, 200 ms) and shuts the session down.
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s ended %v after the shell's exit", c.name, d.Round(time.Millisecond))
		}
		if err := syscall.Kill(pid, 0); err != nil {
			t.Errorf("%s: the background job (pid %d) did not survive the session: %v", c.name, pid, err)
		}
		lines = append(lines, closing(m))
	}
	if want := []string{"Connection to 127.0.0.1 closed."}; !slices.Equal(lines[0], want) || !slices.Equal(lines[1], lines[0]) {
		t.Errorf("closing lines: ssh %q, ssh-mosh %q; want %q from both", lines[0], lines[1], want)
	}
}

// TestServerEndLikeOpenSSH: the session's server is told to stop (SIGTERM
// to sshd's session process, to our mosh-server) while the shell runs.
// Both clients end with 255 and "Connection to H closed by remote host.",
// at every LogLevel, and add "Connection to H closed." at INFO.
func TestServerEndLikeOpenSSH(t *testing.T) {
	r := newEndRig(t)
	for _, level := range []string{"ERROR", "INFO"} {
		t.Run(level, func(t *testing.T) {
			var lines [][]string
			for _, c := range r.clients {
				m := r.login(t, c, "-o", "LogLevel="+level)
				// The shell's parent is sshd's session process, or our
				// mosh-server.
				m.SendText("kill -TERM $PPID\r")
				if st := m.WaitExit(waitLong); st != 255 {
					t.Errorf("%s ended with %d, want 255; screen:\n%s", c.name, st, testenv.FrameScreen(m.CaptureHistory(false)))
				}
				lines = append(lines, closing(m))
			}
			want := []string{"Connection to 127.0.0.1 closed by remote host."}
			if level == "INFO" {
				want = append(want, "Connection to 127.0.0.1 closed.")
			}
			if !slices.Equal(lines[0], want) {
				t.Fatalf("oracle: ssh's closing lines %q, want %q", lines[0], want)
			}
			if !slices.Equal(lines[1], lines[0]) {
				t.Errorf("closing lines: ssh-mosh %q, ssh %q", lines[1], lines[0])
			}
		})
	}
}

// TestEscapeQuitLikeOpenSSH: ssh's escapes work in ssh-mosh's sessions, for
// the habits of `alias ssh=ssh-mosh` users. After Enter, "~." ends the
// session with ssh's 255 and its closing line, with a program running in
// the foreground; "~?" comes before it without leaving the line's start;
// -e changes the character, and "~." is then typed through. The plain
// shell ssh-mosh falls back to without a mosh-server does the same.
func TestEscapeQuitLikeOpenSSH(t *testing.T) {
	r := newEndRig(t)
	type variant struct {
		name  string
		opts  []string
		typed string
	}
	for _, v := range []variant{
		{"default", nil, "\r~?~."},
		{"-e", []string{"-e", "%"}, "\r~.\r%."},
	} {
		t.Run(v.name, func(t *testing.T) {
			clients := append(slices.Clone(r.clients), endClient{"ssh-mosh's plain shell",
				append(slices.Clone(r.clients[1].argv[:1]), "--server=/nonexistent/mosh-server")})
			var lines [][]string
			for _, c := range clients {
				m := r.login(t, c, append([]string{"-o", "LogLevel=INFO"}, v.opts...)...)
				m.SendText("sleep 300\r" + v.typed)
				if st := m.WaitExit(waitLong); st != 255 {
					t.Errorf("%s ended with %d, want 255; screen:\n%s", c.name, st, testenv.FrameScreen(m.CaptureHistory(false)))
				}
				lines = append(lines, closing(m))
			}
			want := []string{"Connection to 127.0.0.1 closed."}
			for i, c := range clients {
				if !slices.Equal(lines[i], want) {
					t.Errorf("%s: closing lines %q, want %q", c.name, lines[i], want)
				}
			}
		})
	}
}

// TestStatusKeyNamesServer: Ctrl-^ s names the server, from the banner
// mosh-server prints as it starts: ours by its build, the real one by its
// mosh version.
func TestStatusKeyNamesServer(t *testing.T) {
	r := newEndRig(t)
	realServer := testenv.MustHaveExec(t, "mosh-server")
	for _, tc := range []struct {
		server, want string
	}{
		{r.clients[1].argv[1], ", server ssh-mosh "},
		{"--server=" + realServer, ", server mosh 1.4"},
	} {
		c := endClient{"ssh-mosh", []string{r.clients[1].argv[0], tc.server}}
		m := r.login(t, c)
		m.SendText("\x1es")
		m.WaitFor(tc.want, waitLong)
		m.SendText("\x1e.")
		m.WaitExit(waitLong)
	}
}

// TestPreAuthBannerLikeOpenSSH: sshd's Banner (a legal notice) is shown
// before the session, as ssh shows it, control characters escaped; -q
// hides it from both.
func TestPreAuthBannerLikeOpenSSH(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	testenv.MustHaveExec(t, "tmux")
	sshBin := testenv.MustHaveExec(t, "ssh")
	banner := filepath.Join(t.TempDir(), "banner")
	if err := os.WriteFile(banner, []byte("AUTHORIZED USE ONLY\r\nsecond \x1b[2Jline\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: "Banner " + banner + "\n"})
	cfg, _ := sshd.ClientConfig(t, "target", key)
	sshMosh := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	server := testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server")
	for _, quiet := range []bool{false, true} {
		for _, argv := range [][]string{{sshBin}, {sshMosh, "--server=" + server}} {
			// The fixture's config says LogLevel ERROR; ssh shows the
			// banner from INFO on.
			args := append(slices.Clone(argv), "-F", cfg, "-o", "LogLevel=INFO")
			if quiet {
				args = append(args, "-q")
			}
			m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 100, Height: 30, Env: []string{"SSH_AUTH_SOCK="}}, append(args, "target")...)
			waitRootPrompt(m, waitLong)
			all := m.CaptureHistory(false)
			shown := strings.Contains(all, "AUTHORIZED USE ONLY\nsecond \\033[2Jline")
			if shown == quiet {
				t.Errorf("%s (-q %v): banner shown %v:\n%s", filepath.Base(argv[0]), quiet, shown, testenv.FrameScreen(all))
			}
			m.SendText("exit\r")
			m.WaitExit(waitLong)
		}
	}
}
