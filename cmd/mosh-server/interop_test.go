package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestRealClientShell: the real mosh-client, in tmux, types commands into a
// shell behind our server and sees their output; the pty follows a resize
// of the client's terminal; `exit` ends the client with status 0 and the
// server process.
func TestRealClientShell(t *testing.T) {
	s := startSession(t, sessionOptions{})
	s.run("echo typed-$((6*7))", "typed-42")
	s.run("stty size; echo size-done-$((1+1))", "size-done-2")
	if screen := s.tm.Capture(); !strings.Contains(screen, "\n24 80\n") {
		t.Errorf("stty size in an 80×24 client: want 24 80 on the screen:\n%s", testenv.FrameScreen(screen))
	}

	s.tm.Resize(100, 30)
	s.tm.SendText("stty size")
	s.tm.SendKeys("Enter")
	s.tm.WaitForFunc("stty size says 30 100 after the resize", func(screen string) bool {
		return strings.Contains(screen, "\n30 100\n")
	}, waitShort)

	// Multi-byte UTF-8 goes through the server's emulator and back intact.
	s.run("printf 'utf8-%s-ok\\n' $(printf '\\303\\251\\342\\202\\254')", "utf8-é€-ok")

	// The application gets default signal dispositions (mosh-server resets
	// SIGHUP and SIGPIPE, which the server itself ignores): a process that
	// sends itself either signal dies of it (status 128+n).
	s.run(`sh -c 'kill -PIPE $$; echo survived'; echo pipe-rc-$?-end`, "pipe-rc-141-end")
	s.run(`sh -c 'kill -HUP $$; echo survived'; echo hup-rc-$?-end`, "hup-rc-129-end")
	if screen := s.tm.Capture(); strings.Contains(screen, "\nsurvived") {
		t.Errorf("a signal the application should die of was ignored:\n%s", testenv.FrameScreen(screen))
	}

	pid := s.shellPID()
	s.exit()
	if !testenv.WaitGone(pid, waitShort) {
		t.Errorf("the shell (pid %d) outlived the session", pid)
	}
}

// TestRealClientFullScreen: vi draws its screen through our server (the
// file's text and the `~` lines past its end), edits show up, and quitting
// returns to a working prompt.
func TestRealClientFullScreen(t *testing.T) {
	testenv.MustHaveExec(t, "vi")
	dir := t.TempDir()
	file := filepath.Join(dir, "poem.txt")
	text := "first line of the poem\nsecond line, with more words\nthird and last line\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, sessionOptions{})
	s.tm.SendText("vi -u NONE " + file)
	s.tm.SendKeys("Enter")
	screen := s.tm.WaitForFunc("vi showing the file and ~ lines", func(screen string) bool {
		rows := strings.Split(screen, "\n")
		if len(rows) < 24 || !strings.HasPrefix(rows[0], "first line of the poem") ||
			!strings.HasPrefix(rows[1], "second line, with more words") ||
			!strings.HasPrefix(rows[2], "third and last line") {
			return false
		}
		for _, r := range rows[3:22] {
			if strings.TrimRight(r, " ") != "~" {
				return false
			}
		}
		return true
	}, waitShort)
	if !strings.Contains(screen, "poem.txt") {
		t.Errorf("vi's status line does not name the file:\n%s", testenv.FrameScreen(screen))
	}

	// An edit: append a word to line 2, see it, and the cursor line.
	s.tm.SendText("jAXYZZY")
	s.tm.SendKeys("Escape")
	s.tm.WaitForFunc("the edit on line 2", func(screen string) bool {
		rows := strings.Split(screen, "\n")
		return len(rows) > 1 && strings.HasPrefix(rows[1], "second line, with more wordsXYZZY")
	}, waitShort)
	if x, y := s.tm.Cursor(); y != 1 {
		t.Errorf("cursor at (%d,%d) after the edit, want row 1", x, y)
	}

	// vi discards typeahead when it quits: wait for the prompt first.
	s.tm.SendText(":q!")
	s.tm.SendKeys("Enter")
	s.tm.WaitForFunc("the prompt after quitting vi", func(screen string) bool {
		rows := strings.Split(strings.TrimRight(screen, "\n "), "\n")
		return strings.TrimSpace(rows[len(rows)-1]) == strings.TrimSpace(prompt)
	}, waitShort)
	s.run("echo after-vi-$((2+3))", "after-vi-5")
	s.clientAlive()
	s.exit()
}

// TestRealClientFloodInterrupt: a flood of output (cat of a large file)
// stops promptly on Ctrl-C and the prompt comes back: our server keeps
// reading the pty and sends only the newest screen, so the interrupt is
// not stuck behind megabytes of stale output.
func TestRealClientFloodInterrupt(t *testing.T) {
	s := startSession(t, sessionOptions{})
	s.tm.SendText("seq 1 3000000")
	s.tm.SendKeys("Enter")
	// A row of five digits alone: the flood is under way. (A Ctrl-C that
	// overtakes the Enter in the pty would flush the typed line instead.)
	s.tm.WaitForFunc("seq output past 10000", func(screen string) bool {
		for _, r := range strings.Split(screen, "\n") {
			r = strings.TrimSpace(r)
			if len(r) >= 5 && strings.Trim(r, "0123456789") == "" {
				return true
			}
		}
		return false
	}, waitShort)
	start := time.Now()
	s.tm.SendKeys("C-c")
	s.tm.SendText("echo interrupted-$((4*4))")
	s.tm.SendKeys("Enter")
	s.tm.WaitFor("interrupted-16", waitShort)
	t.Logf("prompt back %v after Ctrl-C", time.Since(start).Round(time.Millisecond))
	s.clientAlive()
	s.exit()
}

// TestLoginShellEnvironment: with no command, the server runs $SHELL as a
// login shell (argv[0] "-sh") in $HOME, with TERM from -c, NCURSES_NO_UTF8_ACS
// set and STY removed — the same as the real mosh-server, which runs the
// same probe first.
func TestLoginShellEnvironment(t *testing.T) {
	testenv.Short(t)
	home := t.TempDir()
	probe := `echo "probe:$0|$TERM|$NCURSES_NO_UTF8_ACS|$([ "$(pwd)" = "$HOME" ] && echo home)|${STY-nosty}|$(stty -a | grep -o -- '-*iutf8')|end"`
	results := map[bool]string{}
	for _, realServer := range []bool{true, false} {
		bin := ""
		if !realServer {
			bin = ourServer(t)
		}
		env := []string{"SHELL=/bin/sh", "HOME=" + home, "STY=1234.screen", "ENV="}
		srv := testenv.StartMoshServerEnv(t, bin, env, "-c", "256")
		tm := attachClient(t, srv, 0, 0)
		// Type only at the prompt (/etc/profile makes it "# " for root): the
		// real server's child consumes a line of early input while it waits
		// to be released.
		tm.WaitForFunc("the login shell's prompt", func(screen string) bool {
			for _, row := range strings.Split(screen, "\n") {
				if r := strings.TrimSpace(row); r == "#" || r == "$" {
					return true
				}
			}
			return false
		}, waitShort)
		tm.SendText(probe)
		tm.SendKeys("Enter")
		screen := tm.WaitForFunc("the probe's output", func(screen string) bool {
			return strings.Contains(screen, "|end\n") || strings.Contains(screen, "|end ")
		}, waitShort)
		for _, row := range strings.Split(screen, "\n") {
			if strings.HasPrefix(row, "probe:") {
				results[realServer] = strings.TrimSpace(row)
			}
		}
		s := &live{t: t, srv: srv, tm: tm}
		s.exit()
	}
	want := "probe:-sh|xterm-256color|1|home|nosty|iutf8|end"
	if results[true] != want {
		t.Logf("note: the real mosh-server gives %q (expected %q)", results[true], want)
	}
	if results[false] != results[true] {
		t.Errorf("our server's session: %q, the real one's: %q", results[false], results[true])
	}
}
