package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// The login differential test: every scenario runs once through OpenSSH's
// ssh and once through ssh-mosh, against the same real sshd, with the same
// config, keys and known_hosts, in a real terminal (tmux). They must agree
// on what a user sees: whether a shell was reached, the exit status, the key
// phrase of any message, and what known_hosts holds afterwards. Where ssh
// gives a login, ssh-mosh must give a roaming session: the shell's parent is
// mosh-server, not sshd. Add a row whenever a difference to ssh is found.

// diffStep is one thing the user does: wait until the screen shows wait,
// then type send (raw bytes).
type diffStep struct {
	wait string
	send string
}

type diffScenario struct {
	name string
	// setup returns the arguments after `-F config` and may change the
	// fixture's files; it runs once per client on fresh files.
	setup func(t *testing.T, f *diffFixture) []string
	steps []diffStep
	// shell: the scenario reaches a shell, where the test types
	// `exit <status>`; otherwise the client ends by itself.
	shell  bool
	status int
	// phrase must be on both screens (when not ""); absent must be on
	// neither.
	phrase, absent string
}

// diffFixture is one sshd on 127.0.0.10:22 (the default port, as users
// have it) and the files of one run.
type diffFixture struct {
	sshd       *testenv.SSHD
	key        string // authorized, no passphrase
	passKey    string // authorized, passphrase "pass phrase"
	dir        string
	config     string
	knownHosts string
	home       string
	otherKey   string // a public key that is not the host's ("type base64")
}

// config writes the run's ssh_config: the alias "target" for the sshd,
// plus extra lines.
func (f *diffFixture) writeConfig(t *testing.T, extra string) {
	t.Helper()
	body := fmt.Sprintf("Host target\n  HostName %s\n  User root\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n"+
		"  UpdateHostKeys no\n  ControlMaster no\n  ControlPath none\n%s", f.sshd.Host, f.knownHosts, extra)
	if err := os.WriteFile(f.config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *diffFixture) writeKnownHosts(t *testing.T, content string) {
	t.Helper()
	if err := os.WriteFile(f.knownHosts, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func identity(path string) string {
	return fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n", path)
}

// junkLines are known_hosts lines OpenSSH skips: an unknown key type, a
// truncated write, bad base64, a stray marker.
const junkLines = "127.0.0.99 ssh-ed448 AAAAB3NzaC1lZDQ0OAAAADkAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" +
	"truncated.example.org\n127.0.0.99 ssh-ed25519 !!!\n" +
	"@stray 127.0.0.99 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"

// resolverNoName is glibc's gai_strerror(EAI_NONAME), what ssh says of
// a name that does not exist on the Linux hosts the tests run on.
const resolverNoName = "Name or service not known"

const (
	hostKeyQuestion = "(yes/no/[fingerprint])?"
	passphraseQ     = "Enter passphrase for key"
)

func diffScenarios() []diffScenario {
	known := func(t *testing.T, f *diffFixture) { f.writeKnownHosts(t, f.sshd.KnownHostsLine+"\n") }
	return []diffScenario{
		{name: "login-port-22", shell: true, status: 0, setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"target"}
		}},
		// Exit status and the last screen: the program's status is the
		// client's (a signal's death is 255 with ssh), and what it printed
		// stays on the screen.
		{name: "login-shell-exit-3", shell: true, status: 3, setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"target"}
		}},
		{name: "command-exit-4-output-stays", status: 4, phrase: "visible-output", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"-t", "target", "echo visible-output; exit 4"}
		}},
		{name: "command-killed-by-sigterm", status: 255, phrase: "visible-output", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"-t", "target", "echo visible-output; kill -TERM $$"}
		}},
		{name: "command-shell-reports-sigterm", status: 143, phrase: "visible-output", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"-t", "target", "echo visible-output; sh -c 'kill -TERM $$'; exit $?"}
		}},
		{name: "options-after-host", shell: true, setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, "  User nobody\n  Port 1\n")
			return []string{"target", "-p", "22", "-l", "root", "-i", f.key, "-o", "IdentitiesOnly=yes"}
		}},
		{name: "hashed-known-hosts", shell: true, setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, testenv.HashKnownHosts(t, f.sshd.KnownHostsLine+"\n"))
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking yes\n")
			return []string{"target"}
		}},
		{name: "unreadable-known-hosts-lines", shell: true, setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, junkLines+f.sshd.KnownHostsLine+"\n")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking yes\n")
			return []string{"target"}
		}},
		{name: "unknown-host-yes", shell: true, phrase: "Permanently added", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, "")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking ask\n")
			return []string{"target"}
		}, steps: []diffStep{{hostKeyQuestion, "yes\r"}}},
		{name: "unknown-host-ctrl-c", status: 130, setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, "")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking ask\n")
			return []string{"target"}
		}, steps: []diffStep{{hostKeyQuestion, "\x03"}}},
		{name: "unknown-host-ctrl-d", status: 255, phrase: "Host key verification failed", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, "")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking ask\n")
			return []string{"target"}
		}, steps: []diffStep{{hostKeyQuestion, "\x04"}}},
		{name: "unknown-host-no", status: 255, phrase: "Host key verification failed", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, "")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking ask\n")
			return []string{"target"}
		}, steps: []diffStep{{hostKeyQuestion, "no\r"}}},
		{name: "accept-new-loglevel-error", shell: true, absent: "Permanently added", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, "")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking accept-new\n  LogLevel ERROR\n")
			return []string{"target"}
		}},
		{name: "accept-new-quiet-flag", shell: true, absent: "Permanently added", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, "")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking accept-new\n")
			return []string{"-q", "target"}
		}},
		{name: "changed-host-key", status: 255, phrase: "REMOTE HOST IDENTIFICATION HAS CHANGED", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, f.sshd.Host+" "+f.otherKey+"\n")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking ask\n")
			return []string{"target"}
		}},
		// StrictHostKeyChecking no: ssh warns and logs in anyway, with
		// password authentication and the forwards off.
		{name: "changed-host-key-strict-no", shell: true, phrase: "Port forwarding is disabled to avoid man-in-the-middle attacks.", absent: "requested strict checking", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, f.sshd.Host+" "+f.otherKey+"\n")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking no\n  LogLevel INFO\n")
			return []string{"-L", "127.0.0.1:47999:127.0.0.1:9", "target"}
		}},
		// The same with ExitOnForwardFailure: ssh gives up.
		{name: "changed-host-key-strict-no-exit-on-forward-failure", status: 255, phrase: "forwarding disabled due to host key check failure", setup: func(t *testing.T, f *diffFixture) []string {
			f.writeKnownHosts(t, f.sshd.Host+" "+f.otherKey+"\n")
			f.writeConfig(t, identity(f.key)+"  StrictHostKeyChecking no\n  ExitOnForwardFailure yes\n")
			return []string{"-L", "127.0.0.1:47999:127.0.0.1:9", "target"}
		}},
		{name: "revoked-host-key", status: 255, phrase: "revoked", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			revoked := filepath.Join(f.dir, "revoked")
			if err := os.WriteFile(revoked, []byte(f.sshd.HostKeyPub+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			f.writeConfig(t, identity(f.key)+"  RevokedHostKeys "+revoked+"\n")
			return []string{"target"}
		}},
		{name: "passphrase-key", shell: true, setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.passKey))
			return []string{"target"}
		}, steps: []diffStep{{passphraseQ, "pass phrase\r"}}},
		{name: "passphrase-ctrl-c", status: 130, setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.passKey))
			return []string{"target"}
		}, steps: []diffStep{{passphraseQ, "\x03"}}},
		{name: "wrong-password", status: 255, phrase: "Permission denied, please try again", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, "  PubkeyAuthentication no\n  KbdInteractiveAuthentication no\n  NumberOfPasswordPrompts 2\n")
			return []string{"target"}
		}, steps: []diffStep{{"password:", "wrong\r"}, {"try again", "wrong again\r"}}},
		// The resolver's words are the system's (gai_strerror), not Go's.
		{name: "unresolvable-host", status: 255, phrase: "Could not resolve hostname no-such-host.invalid: " + resolverNoName, setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"no-such-host.invalid"}
		}},
		{name: "invalid-hostname", status: 255, phrase: "hostname contains invalid characters", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, "Host *.corp\n  ProxyCommand touch "+filepath.Join(f.dir, "PWNED")+"\n")
			return []string{"x$(touch " + filepath.Join(f.dir, "PWNED2") + ").corp"}
		}},
		{name: "invalid-user", status: 255, phrase: "remote username contains invalid characters", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"-l", "u;touch " + filepath.Join(f.dir, "PWNED"), "target"}
		}},
		{name: "connection-refused", status: 255, phrase: "port 1: Connection refused", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"-p", "1", "target"}
		}},
		// An -i file that is not there: ssh warns, leaves it out and logs
		// in with the others.
		{name: "missing-identity-file", shell: true, phrase: "Warning: Identity file /nonexistent-key not accessible: No such file or directory.", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"-i", "/nonexistent-key", "target"}
		}},
		// A private key file others can read: refused with ssh's warning,
		// though the server would take it.
		{name: "unprotected-key", status: 255, phrase: "WARNING: UNPROTECTED PRIVATE KEY FILE!", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			open := filepath.Join(f.dir, "open_key")
			data, err := os.ReadFile(f.key)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(open, data, 0o644); err != nil {
				t.Fatal(err)
			}
			f.writeConfig(t, identity(open)+"  BatchMode yes\n")
			return []string{"target"}
		}},
		// A server that takes the connection and says nothing: ssh gives up
		// after ConnectTimeout, waiting for the banner.
		{name: "banner-timeout", status: 255, phrase: "timed out during banner exchange", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			port := testenv.SilentListener(t)
			return []string{"-o", "ConnectTimeout=1", "-o", "HostName=127.0.0.1", "-p", strconv.Itoa(port), "target"}
		}},
		// A keyword OpenSSH does not know: its own words (ssh -G's, for
		// ssh-mosh), not the mechanism that found them.
		{name: "bad-option", status: 255, phrase: "command-line: line 0: Bad configuration option: badoption", absent: "ssh -G", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			return []string{"-o", "BadOption=yes", "target"}
		}},
		// A RemoteCommand with RequestTTY yes (the usual "tmux new -A"
		// host): the command, tokens expanded, in the roaming session.
		{name: "remote-command-tty", shell: true, phrase: "RC:root:target:", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key)+"  RemoteCommand echo RC:%r:%n:; exec bash\n  RequestTTY yes\n")
			return []string{"target"}
		}},
		// A connection-sharing master is up (ssh -M): both start their
		// session through it and say so at the end.
		{name: "through-master", shell: true, phrase: "Shared connection to", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			sock := testenv.StartSSHMaster(t, f.config, "target")
			return []string{"-o", "ControlPath=" + sock, "target"}
		}},
		// The wrong port: a web server answers and hangs up.
		{name: "not-an-ssh-server", status: 255, phrase: "kex_exchange_identification: Connection closed by remote host", absent: "EOF", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			port := testenv.ClosingListener(t, "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n", false)
			return []string{"-o", "HostName=127.0.0.1", "-p", strconv.Itoa(port), "target"}
		}},
		// An sshd that drops the connection in the key exchange.
		{name: "closed-in-key-exchange", status: 255, phrase: "Connection closed by 127.0.0.1 port", absent: "EOF", setup: func(t *testing.T, f *diffFixture) []string {
			known(t, f)
			f.writeConfig(t, identity(f.key))
			port := testenv.ClosingListener(t, "SSH-2.0-OpenSSH_9.2\r\n", false)
			return []string{"-o", "HostName=127.0.0.1", "-p", strconv.Itoa(port), "target"}
		}},
	}
}

func TestLoginDifferentialAgainstOpenSSH(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	sshBin := testenv.MustHaveExec(t, "ssh")
	testenv.MustHaveExec(t, "mosh-server")
	key, pub := testenv.NewUserKey(t, "", "")
	passKey, passPub := testenv.NewUserKey(t, "", "pass phrase")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{
		AuthorizedKeys: []string{pub, passPub}, ListenAddr: "127.0.0.10", Port: 22, Password: true,
	})
	_, other := testenv.NewUserKey(t, "", "")
	otherKey := strings.Join(strings.Fields(other)[:2], " ")
	sshMosh := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	server := testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server")

	for _, sc := range append(diffScenarios(), algoKeyScenarios()...) {
		t.Run(sc.name, func(t *testing.T) {
			type result struct {
				status     int
				screen     string
				parent     string
				colours    string
				knownHosts string
			}
			run := func(client string, argv0 []string) result {
				dir := t.TempDir()
				f := &diffFixture{sshd: sshd, key: key, passKey: passKey, dir: dir, otherKey: otherKey,
					config: filepath.Join(dir, "ssh_config"), knownHosts: filepath.Join(dir, "known_hosts"), home: dir}
				args := sc.setup(t, f)
				before, _ := os.ReadFile(f.knownHosts)
				argv := append(append(argv0, "-F", f.config), args...)
				t.Logf("%s: %q", client, argv)
				m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 120, Height: 40,
					Env: []string{"HOME=" + f.home, "SSH_AUTH_SOCK=", "DISPLAY=", "SSH_ASKPASS="}}, argv...)
				for _, st := range sc.steps {
					m.WaitFor(st.wait, 45*time.Second)
					m.SendText(st.send)
				}
				var r result
				if sc.shell {
					waitRootPrompt(m, 45*time.Second)
					// The quotes keep the marker out of the echoed command line.
					// The session's TERM differs (ssh passes the terminal's
					// name, mosh-server picks xterm or xterm-256color), what
					// programs make of it must not.
					m.SendText("echo PA''RENT:$(ps -o comm= -p $PPID):$(tput colors):\r")
					screen := m.WaitFor("PARENT:", 10*time.Second)
					if i := strings.LastIndex(screen, "PARENT:"); i >= 0 {
						fields := strings.SplitN(screen[i+len("PARENT:"):], ":", 3)
						r.parent = fields[0]
						if len(fields) > 1 {
							r.colours = fields[1]
						}
					}
					m.SendText(fmt.Sprintf("exit %d\r", sc.status))
				}
				r.status = m.WaitExit(45 * time.Second)
				if testing.Verbose() {
					t.Logf("%s screen:\n%s", client, testenv.FrameScreen(m.Capture()))
				}
				// With our server the messages printed before the session
				// (host key notices) are in the terminal's scrollback above
				// it, not on the screen: look at both, for both clients.
				r.screen = m.CaptureHistory(false)
				kh, _ := os.ReadFile(f.knownHosts)
				r.knownHosts = addedLines(before, string(kh))
				for _, p := range []string{"PWNED", "PWNED2"} {
					if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
						t.Errorf("%s: a name from the command line ran a command (%s exists)", client, p)
					}
				}
				return r
			}
			ssh := run("ssh", []string{sshBin})
			ours := run("ssh-mosh", []string{sshMosh, "--server=" + server})

			if sc.shell && ssh.parent != "sshd" {
				t.Fatalf("oracle: ssh's shell parent is %q, want sshd; screen:\n%s", ssh.parent, ssh.screen)
			}
			if sc.shell && ours.parent != "mosh-server" {
				t.Errorf("ssh-mosh gave no roaming session: the shell's parent is %q; screen:\n%s", ours.parent, ours.screen)
			}
			if sc.shell && ours.colours != ssh.colours {
				t.Errorf("the session's terminal has %q colours through ssh-mosh, %q through ssh", ours.colours, ssh.colours)
			}
			if ssh.status != sc.status {
				t.Errorf("oracle: ssh exited %d, want %d; screen:\n%s", ssh.status, sc.status, ssh.screen)
			}
			if ours.status != ssh.status {
				t.Errorf("ssh-mosh exited %d, ssh %d; screen:\n%s", ours.status, ssh.status, testenv.FrameScreen(ours.screen))
			}
			for who, r := range map[string]result{"ssh": ssh, "ssh-mosh": ours} {
				if sc.phrase != "" && !strings.Contains(r.screen, sc.phrase) {
					t.Errorf("%s: %q not on the screen:\n%s", who, sc.phrase, testenv.FrameScreen(r.screen))
				}
				if sc.absent != "" && strings.Contains(r.screen, sc.absent) {
					t.Errorf("%s: %q on the screen:\n%s", who, sc.absent, testenv.FrameScreen(r.screen))
				}
			}
			if got, want := closingRE.FindAllString(ours.screen, -1), closingRE.FindAllString(ssh.screen, -1); !slices.Equal(got, want) {
				t.Errorf("closing lines: ssh-mosh %q, ssh %q", got, want)
			}
			if ours.knownHosts != ssh.knownHosts {
				t.Errorf("known_hosts lines added by ssh:\n%s\nby ssh-mosh:\n%s", ssh.knownHosts, ours.knownHosts)
			}
		})
	}
}

// addedLines is what a client added to known_hosts (lines are never
// removed or rewritten: that is checked by the comparison too, since a
// rewritten line reads as added).
func addedLines(before []byte, after string) string {
	old := map[string]bool{}
	for _, l := range strings.Split(string(before), "\n") {
		old[l] = true
	}
	var added []string
	for _, l := range strings.Split(after, "\n") {
		if !old[l] {
			added = append(added, l)
		}
	}
	return strings.Join(added, "\n")
}
