package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// sshMosh runs ssh-mosh -F cfg args... without a terminal (as scripts,
// pipes and tools do) and returns its output and exit status.
func (f *remoteFixture) sshMoshCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(f.sshMosh, append([]string{"-F", f.config}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("running ssh-mosh: %v", err)
	return -1
}

func TestPassthroughCommand(t *testing.T) {
	f := newRemoteFixture(t)
	out, err := f.sshMoshCmd("target", "echo", "hi").Output()
	if exitCode(t, err) != 0 || string(out) != "hi\n" {
		t.Fatalf("ssh-mosh target echo hi = %q, %v", out, err)
	}
	err = f.sshMoshCmd("target", "exit 3").Run()
	if code := exitCode(t, err); code != 3 {
		t.Fatalf("ssh-mosh target 'exit 3' exited %d, want 3", code)
	}
}

func TestPassthroughPipesBytesExactly(t *testing.T) {
	f := newRemoteFixture(t)
	data := make([]byte, 4<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	cmd := f.sshMoshCmd("target", "cat")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if exitCode(t, err) != 0 {
		t.Fatal(err)
	}
	if sha256.Sum256(out) != sha256.Sum256(data) {
		t.Fatalf("4 MiB through ssh-mosh target cat came back different (%d bytes)", len(out))
	}
}

func TestPassthroughStdinNotATerminal(t *testing.T) {
	f := newRemoteFixture(t)
	// No command, stdin a pipe: ssh runs the login shell reading commands
	// from stdin; we must not try a roaming session.
	cmd := f.sshMoshCmd("target")
	cmd.Stdin = strings.NewReader("echo from-stdin-$((6*7))\n")
	out, err := cmd.CombinedOutput()
	if exitCode(t, err) != 0 || !strings.Contains(string(out), "from-stdin-42") {
		t.Fatalf("ssh-mosh target <script = %q, %v", out, err)
	}
}

func TestPassthroughLocalForward(t *testing.T) {
	f := newRemoteFixture(t)
	// A TCP echo-once server on the "remote" side (same machine).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, "forwarded-ok\n")
	}()
	local := testenv.FreeTCPPort(t)
	cmd := f.sshMoshCmd("-N", "-L", fmt.Sprintf("%d:127.0.0.1:%d", local, ln.Addr().(*net.TCPAddr).Port), "target")
	testenv.StartCmd(t, cmd)
	var got []byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(local))
		if err == nil {
			got, _ = io.ReadAll(c)
			c.Close()
			if len(got) > 0 {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if string(got) != "forwarded-ok\n" {
		t.Fatalf("through -L got %q", got)
	}
}

func TestPassthroughTools(t *testing.T) {
	f := newRemoteFixture(t)
	wrapper := filepath.Join(t.TempDir(), "ssh-mosh-F")
	// Tools take a program name, not arguments, for -S; a wrapper adds -F.
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+f.sshMosh+" -F "+f.config+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src.txt")
	if err := os.WriteFile(src, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("rsync", func(t *testing.T) {
		testenv.MustHaveExec(t, "rsync")
		dst := filepath.Join(dir, "rsync-dst.txt")
		out, err := exec.Command("rsync", "-e", wrapper, src, "target:"+dst).CombinedOutput()
		if err != nil {
			t.Fatalf("rsync -e ssh-mosh: %v\n%s", err, out)
		}
		if b, _ := os.ReadFile(dst); string(b) != "payload\n" {
			t.Fatalf("rsync copied %q", b)
		}
	})
	t.Run("scp", func(t *testing.T) {
		dst := filepath.Join(dir, "scp-dst.txt")
		out, err := exec.Command("scp", "-S", wrapper, src, "target:"+dst).CombinedOutput()
		if err != nil {
			t.Fatalf("scp -S ssh-mosh: %v\n%s", err, out)
		}
		if b, _ := os.ReadFile(dst); string(b) != "payload\n" {
			t.Fatalf("scp copied %q", b)
		}
	})
	t.Run("git", func(t *testing.T) {
		testenv.MustHaveExec(t, "git")
		repo := filepath.Join(dir, "repo.git")
		for _, args := range [][]string{
			{"init", "-q", "--bare", repo},
		} {
			if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		work := filepath.Join(dir, "work")
		run := func(dir string, args ...string) {
			t.Helper()
			cmd := exec.Command("git", args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GIT_SSH_COMMAND="+f.sshMosh+" -F "+f.config,
				"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		run(dir, "clone", "-q", "target:"+repo, work)
		if err := os.WriteFile(filepath.Join(work, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		run(work, "add", "f")
		run(work, "commit", "-q", "-m", "m")
		run(work, "push", "-q", "origin", "HEAD")
		run(dir, "clone", "-q", "target:"+repo, filepath.Join(dir, "again"))
		if b, _ := os.ReadFile(filepath.Join(dir, "again", "f")); string(b) != "x" {
			t.Fatalf("cloned back %q", b)
		}
	})
}

// With ssh-mosh installed as `ssh` first in PATH, passthrough still finds
// OpenSSH's ssh and never runs itself again.
func TestPassthroughInstalledAsSSH(t *testing.T) {
	f := newRemoteFixture(t)
	bin := t.TempDir()
	if err := os.Symlink(f.sshMosh, filepath.Join(bin, "ssh")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "ssh"), "-F", f.config, "target", "echo", "no-recursion")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("ssh-mosh as ssh did not finish: recursion?")
	}
	if err != nil || string(out) != "no-recursion\n" {
		t.Fatalf("ssh (= ssh-mosh) target echo = %q, %v", out, err)
	}
}

// -t with a command runs it inside a roaming session.
func TestRemoteCommandWithTTY(t *testing.T) {
	f := newRemoteFixture(t)
	m := f.run(t, nil, "-v", "--server="+f.server, "-t", "target", "echo inside-$((6*7)); sleep 1")
	m.WaitFor("inside-42", 15*time.Second)
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, m.Capture())
	}
}

// Without OpenSSH's ssh, a non-interactive command runs in-process with the
// same streams and exit status.
func TestPassthroughWithoutOpenSSH(t *testing.T) {
	f := newRemoteFixture(t)
	empty := t.TempDir()
	run := func(stdin string, args ...string) (string, string, int) {
		cmd := f.sshMoshCmd(args...)
		cmd.Env = append(cmd.Env, "PATH="+empty)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), exitCode(t, err)
	}
	if out, errs, code := run("", "target", "echo", "in-process"); code != 0 || out != "in-process\n" {
		t.Fatalf("echo: out %q err %q code %d", out, errs, code)
	}
	if _, _, code := run("", "target", "exit 3"); code != 3 {
		t.Fatalf("exit 3 gave %d", code)
	}
	if out, _, _ := run("piped\n", "target", "cat"); out != "piped\n" {
		t.Fatalf("cat gave %q", out)
	}
	if _, errs, code := run("", "-p", "1", "target", "true"); code != 255 || !strings.Contains(errs, "port 1") {
		t.Fatalf("unreachable port: code %d, stderr %q", code, errs)
	}
}
