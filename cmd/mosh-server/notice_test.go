package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

func TestDetachedNotice(t *testing.T) {
	for _, tc := range []struct {
		name string
		ss   []sessionLine
		want string // "" or a part of the notice
	}{
		{"none", nil, ""},
		{"attached only", []sessionLine{{ID: 7, Attached: true}}, ""},
		{"one", []sessionLine{{ID: 7, Attached: true}, {ID: 12}}, "a detached session on this server (ID 12): `ssh-mosh --attach=12 HOST`"},
		{"several", []sessionLine{{ID: 12}, {ID: 7, Attached: true}, {ID: 30}}, "2 detached sessions on this server (IDs 12, 30): `ssh-mosh --attach=ID HOST`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := detachedNotice(tc.ss)
			if tc.want == "" {
				if got != "" {
					t.Errorf("notice %q, want none", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || !strings.HasPrefix(got, "\x1b[37;44m") || !strings.HasSuffix(got, "\x1b[m\n\n") {
				t.Errorf("notice %q, want %q in mosh's colours and a blank line after", got, tc.want)
			}
		})
	}
}

// TestLoginNoticeNamesDetachedSession: a new login session (the login
// shell, with the motd) shows, after the motd, the user's session that no
// client is attached to, and how to take it over; the session itself is
// not named. A session given a command shows no motd, so no notice.
func TestLoginNoticeNamesDetachedSession(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-client")
	testenv.MustHaveExec(t, "tmux")
	dir, err := os.MkdirTemp("/tmp", "ntc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	env := []string{"TMPDIR=" + dir, "XDG_RUNTIME_DIR="}
	bin := ourServer(t)
	// No client ever reaches this one: it stays detached.
	idle := testenv.StartMoshServerEnv(t, bin, env)
	// Its daemon listens on its control socket a little after MOSH
	// CONNECT; a login listing the sessions before then finds none (under
	// CI's load it did). The test is about the notice, so wait for it.
	sock := filepath.Join(dir, "ssh-mosh-sessions-"+strconv.Itoa(os.Getuid()), strconv.Itoa(idle.PID)+".sock")
	for deadline := time.Now().Add(waitShort); ; time.Sleep(10 * time.Millisecond) {
		if _, err := ask(sock, reqInfo); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the detached session's control socket %s does not answer: %v", sock, err)
		}
	}
	login := testenv.StartMoshServerEnv(t, bin, env)
	argv, cenv := testenv.MoshClientArgv(t, login.Key, login.Port)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 140, Height: 30, Env: cenv}, argv...)
	want := "You have a detached session on this server (ID " + strconv.Itoa(idle.PID) + ")"
	screen := m.WaitFor(want, waitShort)
	if strings.Contains(screen, strconv.Itoa(login.PID)) {
		t.Errorf("the notice names the session itself:\n%s", testenv.FrameScreen(screen))
	}
	m.SendText("exit\r")
	m.WaitExit(waitShort)

	withCommand := testenv.StartMoshServerEnv(t, bin, append(env, "PS1="+prompt, "ENV="), "--", "/bin/sh")
	argv, cenv = testenv.MoshClientArgv(t, withCommand.Key, withCommand.Port)
	m = testenv.StartTmux(t, testenv.TmuxOptions{Width: 140, Height: 30, Env: cenv}, argv...)
	if screen := m.WaitFor(prompt, waitShort); strings.Contains(screen, "detached session") {
		t.Errorf("a session with a command shows the notice:\n%s", testenv.FrameScreen(screen))
	}
}
