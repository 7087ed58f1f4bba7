package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestClientLogFile: a --local session run with -E FILE (and --log FILE)
// appends its records to FILE, timestamped, the session's own (-vvv turns
// on its trace records) beside the client's; nothing of the log reaches the
// terminal (stderr, redirected to a file here, stays empty, and the pane
// shows no record). Without -E the -v lines go to stderr: the check can
// fail.
func TestClientLogFile(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	for _, tt := range []struct {
		name string
		flag []string // log flags; nil: none
	}{{"E", []string{"-E"}}, {"log", []string{"--log"}}, {"none", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logFile, errFile := filepath.Join(dir, "client.log"), filepath.Join(dir, "stderr")
			args := []string{bin, "--local", "-vvv"}
			if tt.flag != nil {
				args = append(args, tt.flag[0], logFile)
			}
			var quoted []string
			for _, a := range args {
				quoted = append(quoted, testenv.ShellQuote(a))
			}
			env, marker := localEnv(t)
			s := startClient(t, testenv.TmuxOptions{},
				[]string{"env", "SHELL=/bin/sh", "ENV=", "sh", "-c", "exec " + strings.Join(quoted, " ") + " 2>" + testenv.ShellQuote(errFile)}, env...)
			s.run("echo logged-$((40+2))", "logged-42\n")
			screen := s.Capture()
			s.quit()
			expectNoLeftovers(t, marker)

			stderr, _ := os.ReadFile(errFile)
			log, _ := os.ReadFile(logFile)
			if tt.flag == nil {
				if !strings.Contains(string(stderr), "ssh-mosh: --local: server on") {
					t.Fatalf("without -E, -v printed %q to stderr", stderr)
				}
				if len(log) != 0 {
					t.Fatalf("without -E a log was written: %q", log)
				}
				return
			}
			if len(stderr) != 0 {
				t.Errorf("with %s, stderr got %q", tt.flag[0], stderr)
			}
			if strings.Contains(screen, "time=") || strings.Contains(screen, "server on") {
				t.Errorf("with %s, the terminal shows log records:\n%s", tt.flag[0], screen)
			}
			for _, want := range []string{"level=DEBUG msg=\"--local: server on", "msg=\"session started\"", "msg=trace", "part=session", "msg=\"session ended\"", "connected=true clean=true"} {
				if !strings.Contains(string(log), want) {
					t.Errorf("log lacks %q:\n%s", want, untraced(string(log)))
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
				if !strings.HasPrefix(line, "time=") {
					t.Fatalf("record without a timestamp: %q", line)
				}
			}
		})
	}
}

// untraced is the log without its trace records, for failure messages.
func untraced(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, "msg=trace") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestRemoteClientLog: a login through sshd with -E: the SSH login's notice
// (the host key learnt, which ssh logs at INFO), the server's start and the
// session's start and end are in the log, timestamped; without -v no debug
// record; stderr holds only ssh's closing line, which ssh prints there
// with -E too.
func TestRemoteClientLog(t *testing.T) {
	f := newRemoteFixture(t)
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	cfg := writeConfig(t, fmt.Sprintf("Host target\n  HostName 127.0.0.1\n  Port %d\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n"+
		"  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking accept-new\n", f.sshd.Port, f.key, known))
	logFile, errFile := filepath.Join(dir, "client.log"), filepath.Join(dir, "stderr")
	var quoted []string
	for _, a := range []string{f.sshMosh, "-F", cfg, "--server=" + f.server, "-E", logFile, "target"} {
		quoted = append(quoted, testenv.ShellQuote(a))
	}
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		"sh", "-c", "exec "+strings.Join(quoted, " ")+" 2>"+testenv.ShellQuote(errFile))
	expectSession(t, m, "logged")
	stderr, _ := os.ReadFile(errFile)
	if string(stderr) != "Connection to 127.0.0.1 closed.\n" {
		t.Errorf("stderr got %q, want only ssh's closing line", stderr)
	}
	log, _ := os.ReadFile(logFile)
	for _, want := range []string{"Permanently added", "msg=\"mosh-server started\"", "msg=\"session started\"", "msg=\"session ended\""} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(string(log), "level=DEBUG") {
		t.Errorf("debug records without -v:\n%s", log)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		if !strings.HasPrefix(line, "time=") {
			t.Fatalf("record without a timestamp: %q", line)
		}
	}
}
