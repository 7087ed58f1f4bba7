package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// nsWrapper writes a script that runs its arguments in a mount namespace
// of their own whose /run is a fresh tmpfs with utmp a link to the file
// utmp (the host's records, here none at all, are never touched). Two
// servers run through it share that file.
func nsWrapper(t *testing.T, dir, utmp string) string {
	t.Helper()
	for _, tool := range []string{"unshare", "mount", "who", "script"} {
		testenv.MustHaveExec(t, tool)
	}
	testenv.MustHaveUtmpHelper(t)
	if err := os.WriteFile(utmp, nil, 0o664); err != nil {
		t.Fatal(err)
	}
	w := filepath.Join(dir, "ns-wrap")
	script := "#!/bin/sh\nexec unshare --mount --propagation private -- sh -ec 'mount -t tmpfs -o mode=755 tmpfs /run; ln -s " +
		utmp + " /run/utmp; exec \"$@\"' sh \"$@\"\n"
	if err := os.WriteFile(w, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestDetachedSessionInMoshReminder: a session our client left (its
// terminal hung up) is recorded in utmp as unattached at once, and mosh
// 1.4's own server, starting a login session on the same host, names it in
// its reminder of detached sessions, as it names its own.
func TestDetachedSessionInMoshReminder(t *testing.T) {
	f := newRemoteFixture(t)
	testenv.MustHaveRoot(t)
	dir := t.TempDir()
	utmp := filepath.Join(dir, "utmp")
	wrap := nsWrapper(t, dir, utmp)

	m := f.run(t, nil, "--server="+wrap+" "+f.server, "target")
	m.WaitFor("#", 20*time.Second)
	m.SendText("echo up-$((6*7))\r")
	m.WaitFor("up-42", 10*time.Second)
	if err := syscall.Kill(m.PanePID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if code := m.WaitExit(10 * time.Second); code != 255 {
		t.Fatalf("status %d after the hang-up, want 255", code)
	}
	// Unattached at once: the client said it left.
	var who string
	deadline := time.Now().Add(3 * time.Second)
	for {
		out, err := exec.Command("who", utmp).CombinedOutput()
		if err != nil {
			t.Fatalf("who: %v: %s", err, out)
		}
		who = string(out)
		if strings.Contains(who, "(mosh [") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("utmp does not say the session is unattached within 3 s:\n%s", who)
		}
		time.Sleep(50 * time.Millisecond)
	}
	entry := who[strings.Index(who, "(mosh [")+1:]
	entry = entry[:strings.Index(entry, ")")]

	// mosh's server, in a namespace of its own on the same utmp, starts
	// a login session and names ours first thing.
	stock := testenv.MustHaveExec(t, "mosh-server")
	wrapStock := filepath.Join(dir, "stock-mosh-server")
	// On a terminal, as ssh -t gives it: mosh's server shows the motd and
	// the reminder only then.
	if err := os.WriteFile(wrapStock, []byte("#!/bin/sh\nexec script -qec \""+wrap+" "+stock+" $*\" /dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := testenv.StartMoshServerEnv(t, wrapStock, nil)
	argv, env := testenv.MoshClientArgv(t, srv.Key, srv.Port)
	c := testenv.StartTmux(t, testenv.TmuxOptions{Width: 120, Height: 30, Env: env}, argv...)
	c.WaitFor("Mosh: You have a detached Mosh session on this server ("+entry+").", 30*time.Second)
}
