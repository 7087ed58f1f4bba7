package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/locale"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// serverFixture starts sshd with extra sshd_config lines and dials it with
// a key.
func serverFixture(t *testing.T, extra string) *Conn {
	t.Helper()
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-server")
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: extra})
	cfgPath, _ := sshd.ClientConfig(t, "target", priv)
	return mustDial(t, resolveFor(t, cfgPath, "target"), FuncPrompter{})
}

// startServer runs StartServer and stops the server (a local pid: sshd is
// on this machine) at cleanup whatever happens.
func startServer(t *testing.T, conn *Conn, req ServerRequest) (*ServerInfo, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := StartServer(ctx, conn, req)
	if err == nil && info.PID > 0 {
		testenv.StopAtCleanup(t, info.PID)
	}
	return info, err
}

func checkStarted(t *testing.T, info *ServerInfo) {
	t.Helper()
	if info.Port <= 0 || len(info.Key) != 22 || info.PID <= 0 || info.IP.String() != "127.0.0.1" {
		t.Fatalf("ServerInfo = %v (key length %d)", info, len(info.Key))
	}
	if !testenv.Alive(info.PID) {
		t.Fatalf("mosh-server pid %d is not running", info.PID)
	}
	if strings.Contains(info.String(), info.Key) {
		t.Fatalf("ServerInfo.String shows the key")
	}
}

func TestStartServerReal(t *testing.T) {
	conn := serverFixture(t, "")
	var notices []string
	info, err := startServer(t, conn, ServerRequest{Colors: 256, UDPPort: "60500:60999", Locale: []string{"LANG=C.UTF-8"},
		Command: []string{"/bin/echo", "it's"}, Notice: func(s string) { notices = append(notices, s) }})
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	checkStarted(t, info)
	if info.Port < 60500 || info.Port > 60999 {
		t.Errorf("port %d outside the requested range", info.Port)
	}
	if len(notices) != 0 {
		t.Errorf("banner leaked as notices: %q", notices)
	}
	if err := KillServer(conn, info); err != nil {
		t.Fatalf("KillServer: %v", err)
	}
	if !testenv.WaitGone(info.PID, 5*time.Second) {
		t.Fatalf("mosh-server pid %d still running after KillServer", info.PID)
	}
}

func TestStartServerExplicitPathOffPATH(t *testing.T) {
	real := testenv.MustHaveExec(t, "mosh-server")
	dir := t.TempDir()
	link := filepath.Join(dir, "my-mosh-server")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	conn := serverFixture(t, "SetEnv PATH=/nonexistent")
	info, err := startServer(t, conn, ServerRequest{Server: link, Locale: []string{"LANG=C.UTF-8"}})
	if err != nil {
		t.Fatalf("StartServer with --server: %v", err)
	}
	checkStarted(t, info)
}

func TestStartServerFoundInLocalBin(t *testing.T) {
	real := testenv.MustHaveExec(t, "mosh-server")
	home := t.TempDir()
	bin := filepath.Join(home, ".local", "bin")
	os.MkdirAll(bin, 0o755)
	marker := filepath.Join(home, "wrapper-ran")
	wrapper := fmt.Sprintf("#!/bin/sh\n: > %s\nexec %s \"$@\"\n", marker, real)
	if err := os.WriteFile(filepath.Join(bin, "mosh-server"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// The sshd session gets this HOME and a PATH without mosh-server.
	conn := serverFixture(t, fmt.Sprintf("SetEnv PATH=/nonexistent HOME=%s", home))
	info, err := startServer(t, conn, ServerRequest{Locale: []string{"LANG=C.UTF-8"}})
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	checkStarted(t, info)
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the ~/.local/bin wrapper did not run: %v", err)
	}
}

func TestStartServerMissing(t *testing.T) {
	conn := serverFixture(t, "SetEnv PATH=/nonexistent HOME=/nonexistent-home")
	_, err := startServer(t, conn, ServerRequest{Locale: []string{"LANG=C.UTF-8"}})
	want := "mosh-server not found on target (looked in PATH=/nonexistent, /opt/homebrew/bin, /usr/local/bin, /opt/local/bin, " +
		"$HOME/.nix-profile/bin, /nix/var/nix/profiles/default/bin, /snap/bin, $HOME/go/bin, $HOME/.local/bin): install mosh or pass --server=PATH"
	if !errors.Is(err, ErrServerNotFound) || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	_, err = startServer(t, conn, ServerRequest{Server: "/no/such/mosh-server", Locale: []string{"LANG=C.UTF-8"}})
	if !errors.Is(err, ErrServerNotFound) || !strings.Contains(err.Error(), "looked in /no/such/mosh-server)") {
		t.Fatalf("--server missing: err = %v", err)
	}
}

func TestStartServerNonUTF8Locale(t *testing.T) {
	conn := serverFixture(t, "")
	for _, v := range locale.Vars {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("LANG", "en_US.ISO-8859-1")
	var notices []string
	info, err := startServer(t, conn, ServerRequest{Notice: func(s string) { notices = append(notices, s) }})
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	checkStarted(t, info)
	if len(notices) != 1 || !strings.Contains(notices[0], "en_US.ISO-8859-1 is not UTF-8; using LANG=C.UTF-8") {
		t.Fatalf("notices = %q", notices)
	}
}

// A UTF-8 locale the server does not have: the real mosh-server refuses
// it, and StartServer retries once with C.UTF-8, saying so.
func TestStartServerLocaleRetry(t *testing.T) {
	conn := serverFixture(t, "")
	var notices, warnings []string
	info, err := startServer(t, conn, ServerRequest{Locale: []string{"LANG=xx_NOWHERE.UTF-8"},
		Notice: func(s string) { notices = append(notices, s) }, Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	checkStarted(t, info)
	// Our own message goes to Warn, without the program's name (the
	// caller adds it); what the server printed stays with Notice.
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "mosh-server on ") ||
		!strings.Contains(warnings[0], "cannot use LANG=xx_NOWHERE.UTF-8; retrying with LANG=C.UTF-8") {
		t.Fatalf("warnings = %q", warnings)
	}
	for _, n := range notices {
		if strings.Contains(n, "retrying with") {
			t.Errorf("our message also went to Notice: %q", notices)
		}
	}
}
