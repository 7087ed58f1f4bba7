package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// endless yields pattern forever, as a flooding rc file does.
type endless struct {
	pattern []byte
	off     int
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.pattern[e.off]
		e.off = (e.off + 1) % len(e.pattern)
	}
	return len(p), nil
}

// TestReadStartupBounded: output without end, in short lines or in one
// line without a newline, stops at the limit, and what is kept does not
// grow with what was read.
func TestReadStartupBounded(t *testing.T) {
	for _, pattern := range []string{"flood\n", "x", "\r\n", "\x1b[31mred\x1b[0m \xff\xfe\n"} {
		const limit = 32 << 20
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		o, err := readStartup(&endless{pattern: []byte(pattern)}, limit)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, errStartupTooLong) {
			t.Fatalf("%q: err = %v, want errStartupTooLong", pattern, err)
		}
		if o.Read != limit {
			t.Errorf("%q: read %d bytes, want the limit %d", pattern, o.Read, limit)
		}
		// Everything allocated, not just what is live: reading 32 MiB
		// must not cost more than a few kept lines.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
			t.Errorf("%q: %d bytes allocated to read %d", pattern, alloc, limit)
		}
		if len(o.Other) > startupMaxOther || o.otherBytes > startupMaxOtherBytes {
			t.Errorf("%q: kept %d lines, %d bytes", pattern, len(o.Other), o.otherBytes)
		}
		q := o.quoteOther()
		if strings.ContainsAny(q, "\n\r\x1b") || len(q) > 4*startupQuote {
			t.Errorf("%q: quote %q is not one short line", pattern, q)
		}
	}
}

func TestReadStartupLines(t *testing.T) {
	key := "AAAAAAAAAAAAAAAAAAAAAA"
	in := "welcome from bashrc\r\n\r\nMOSH SSH_CONNECTION 10.0.0.1 5555 10.0.0.2 22\r\n" +
		"\r\nMOSH CONNECT 60001 " + key + "\r\n" +
		"mosh-server (mosh 1.4.0) [build mosh 1.4.0]\r\n" +
		"[mosh-server detached, pid = 4242]\r\n" +
		"never read\n"
	o, err := readStartup(strings.NewReader(in), startupLimit)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Connect || o.BadConnect || o.Port != 60001 || o.Key != key || o.PID != 4242 ||
		o.SSHConnectionIP.String() != "10.0.0.2" {
		t.Fatalf("parsed %+v", o)
	}
	if want := []string{"welcome from bashrc"}; strings.Join(o.Other, "|") != strings.Join(want, "|") {
		t.Errorf("other lines %q, want %q", o.Other, want)
	}
	if o.Version != "mosh 1.4.0" || o.Ours {
		t.Errorf("banner: version %q, ours %v", o.Version, o.Ours)
	}
	if o.Read != int64(len(in)-len("never read\n")) {
		t.Errorf("read %d bytes: it should stop after the detach line", o.Read)
	}

	o, err = readStartup(strings.NewReader("\n"+markNotFound+"PATH=/x\n"), startupLimit)
	if err != nil || !o.SawNotFound || o.NotFound != "PATH=/x" {
		t.Errorf("not-found marker: %+v, %v", o, err)
	}
	o, err = readStartup(strings.NewReader("oops\n"+markDone+"1\n"), startupLimit)
	if err != nil || o.Status != "1" || o.Connect || len(o.Other) != 1 {
		t.Errorf("end marker: %+v, %v", o, err)
	}
	// A last line without its newline still counts.
	o, err = readStartup(strings.NewReader("MOSH CONNECT 1 "+key), startupLimit)
	if err != nil || o.Port != 1 {
		t.Errorf("unterminated last line: %+v, %v", o, err)
	}
}

// TestServerVersion: the banner names the server for the status key, and
// tells ours from others; a line from the remote is refused unless it is
// printable and bounded.
func TestServerVersion(t *testing.T) {
	for _, tc := range []struct {
		line, version string
		ours, ok      bool
	}{
		{"mosh-server (mosh 1.4.0) [build mosh 1.4.0]", "mosh 1.4.0", false, true},
		{"mosh-server (mosh 1.3.2) [build mosh-1.3.2-12-gabcdef]", "mosh 1.3.2", false, true},
		{"mosh-server (mosh 1.4.0) [build ssh-mosh v1.2.3, protocol 2]", "ssh-mosh v1.2.3", true, true},
		{"mosh-server (mosh 1.4.0) [build ssh-mosh devel, protocol 2]", "ssh-mosh devel", true, true},
		{"mosh-server (mosh 1.4.0) [build \x1b]0;evil\x07]", "", false, false},
		{"mosh-server (mosh 1.4.0\x1b[2J) [build x]", "", false, false},
		{"mosh-server (mosh 1.4.0) [build " + strings.Repeat("x", 200) + "]", "", false, false},
		{"Mosh-server (mosh 1.4.0) [build x]", "", false, false},
	} {
		v, ours, ok := serverVersion([]byte(tc.line))
		if v != tc.version || ours != tc.ours || ok != tc.ok {
			t.Errorf("serverVersion(%q) = %q, %v, %v; want %q, %v, %v", tc.line, v, ours, ok, tc.version, tc.ours, tc.ok)
		}
	}
}

func TestStartupTimeout(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want time.Duration
		why  string
	}{
		{Config{}, 0, ""},
		{Config{ServerAliveCountMax: 3}, 0, ""},
		{Config{ConnectTimeout: 5 * time.Second}, 5 * time.Second, "ConnectTimeout"},
		{Config{ServerAliveInterval: 2 * time.Second, ServerAliveCountMax: 3}, 6 * time.Second, "ServerAliveInterval × ServerAliveCountMax"},
		{Config{ConnectTimeout: 10 * time.Second, ServerAliveInterval: 2 * time.Second, ServerAliveCountMax: 3}, 6 * time.Second, "ServerAliveInterval × ServerAliveCountMax"},
		{Config{ConnectTimeout: 4 * time.Second, ServerAliveInterval: 2 * time.Second, ServerAliveCountMax: 3}, 4 * time.Second, "ConnectTimeout"},
	} {
		if d, why := StartupTimeout(&c.cfg); d != c.want || why != c.why {
			t.Errorf("StartupTimeout(%+v) = %v %q, want %v %q", c.cfg, d, why, c.want, c.why)
		}
	}
}

// rcFixture is sshd whose sessions get a HOME holding bashrc as .bashrc
// (Debian's bash reads it for the commands sshd runs), and a connection to
// it made with the extra ssh options.
func rcFixture(t *testing.T, bashrc string, opts ...string) (*testenv.SSHD, *Conn) {
	t.Helper()
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-server")
	t.Setenv("SSH_AUTH_SOCK", "")
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".bashrc"), []byte(bashrc), 0o644); err != nil {
		t.Fatal(err)
	}
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: "SetEnv HOME=" + home})
	cfgPath, _ := sshd.ClientConfig(t, "target", priv)
	var extra []string
	for _, o := range opts {
		extra = append(extra, "-o", o)
	}
	return sshd, mustDial(t, resolveFor(t, cfgPath, "target", extra...), FuncPrompter{})
}

// wantSessionsGone waits until nothing started through sshd is left.
func wantSessionsGone(t *testing.T, sshd *testenv.SSHD) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(sshd.SessionPIDs()) > 0 {
		if time.Now().After(deadline) {
			var cmds []string
			for _, p := range sshd.SessionPIDs() {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
				cmds = append(cmds, strings.ReplaceAll(string(b), "\x00", " "))
			}
			t.Fatalf("left behind on the remote: %q", cmds)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStartServerRCFloods: a remote .bashrc that prints without end ends
// the start with a StartupError quoting it, after the size bound, with
// nothing left running on the remote.
func TestStartServerRCFloods(t *testing.T) {
	sshd, conn := rcFixture(t, "while :; do echo 'welcome to the flood'; done\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	info, err := StartServer(ctx, conn, ServerRequest{Locale: []string{"LANG=C.UTF-8"}})
	if info != nil && info.PID > 0 {
		testenv.StopAtCleanup(t, info.PID)
	}
	var se *StartupError
	if !errors.As(err, &se) {
		t.Fatalf("StartServer = %v, %v; want a StartupError", info, err)
	}
	t.Logf("gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if !strings.Contains(err.Error(), `did not start after 4 MiB of output; the remote printed "welcome to the flood\nwelcome`) ||
		strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("message: %v", err)
	}
	wantSessionsGone(t, sshd)
}

// TestStartServerRCSleepsConnectTimeout: a remote .bashrc that never ends
// ends the start within ConnectTimeout when it is set.
func TestStartServerRCSleepsConnectTimeout(t *testing.T) {
	sshd, conn := rcFixture(t, "echo about to sleep; sleep 1000\n", "ConnectTimeout=2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	info, err := StartServer(ctx, conn, ServerRequest{Locale: []string{"LANG=C.UTF-8"}})
	took := time.Since(start)
	if info != nil && info.PID > 0 {
		testenv.StopAtCleanup(t, info.PID)
	}
	var se *StartupError
	if !errors.As(err, &se) {
		t.Fatalf("StartServer = %v, %v; want a StartupError", info, err)
	}
	if took < 2*time.Second || took > 2*time.Second+5*time.Second {
		t.Errorf("gave up after %v, want about the 2 s ConnectTimeout", took)
	}
	if want := `mosh-server on target did not start within 2s (ConnectTimeout); the remote printed "about to sleep" instead`; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q\nwant it to contain %q", err, want)
	}
	wantSessionsGone(t, sshd)
}

// TestStartServerCancel: cancelling the context (Ctrl-C) ends a start that
// would wait forever, at once, with the context's error.
func TestStartServerCancel(t *testing.T) {
	sshd, conn := rcFixture(t, "sleep 1000\n")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, err := StartServer(ctx, conn, ServerRequest{Locale: []string{"LANG=C.UTF-8"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancel took effect after %v", took)
	}
	wantSessionsGone(t, sshd)
}
