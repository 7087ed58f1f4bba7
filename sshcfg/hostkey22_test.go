package sshcfg

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// hostKeyCase is one known_hosts setup checked through a real sshd, once
// with OpenSSH's ssh (the oracle) and once with Dial: both must log in, or
// both must refuse with the same key phrase.
type hostKeyCase struct {
	name string
	// knownHosts returns the known_hosts content for s.
	knownHosts func(t *testing.T, s *testenv.SSHD) string
	// config is added to the Host block.
	config func(t *testing.T, s *testenv.SSHD) string
	// wantErr is the phrase both clients must print; "" means a login.
	wantErr string
}

// runHostKeyCase runs c against s through ssh and through Dial.
func runHostKeyCase(t *testing.T, s *testenv.SSHD, key string, c hostKeyCase) {
	t.Helper()
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	content := c.knownHosts(t, s)
	if err := os.WriteFile(kh, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	extra := ""
	if c.config != nil {
		extra = c.config(t, s)
	}
	cfg := writeConfig(t, fmt.Sprintf(`Host target
  HostName %s
  Port %d
  User root
  IdentityFile %q
  IdentitiesOnly yes
  UserKnownHostsFile %q
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
%s`, s.Host, s.Port, key, kh, extra))

	// The oracle.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.MustHaveExec(t, "ssh"), "-F", cfg, "target", "true")
	var sshErr bytes.Buffer
	cmd.Stderr = &sshErr
	sshRunErr := cmd.Run()

	var notices []string
	ui := FuncPrompter{NoticeFunc: func(m string) { notices = append(notices, m) }}
	conn, err := Dial(dialCtx(t), resolveFor(t, cfg, "target"), ui)
	if err == nil {
		conn.Close()
	}
	ours := strings.Join(notices, "\n")
	if err != nil {
		ours += "\n" + err.Error()
	}

	if c.wantErr == "" {
		if sshRunErr != nil {
			t.Fatalf("oracle: ssh failed: %v\n%s", sshRunErr, sshErr.String())
		}
		if err != nil {
			t.Fatalf("ssh logs in, Dial fails: %v\nnotices: %s", err, ours)
		}
	} else {
		if sshRunErr == nil || !strings.Contains(sshErr.String(), c.wantErr) {
			t.Fatalf("oracle: ssh should refuse with %q: err %v\n%s", c.wantErr, sshRunErr, sshErr.String())
		}
		if err == nil || !strings.Contains(ours, c.wantErr) {
			t.Fatalf("ssh refuses with %q; Dial: err %v\n%s", c.wantErr, err, ours)
		}
		// One line that says it once, as ssh does.
		msg := err.Error()
		if n := strings.Count(strings.ToLower(msg), "verification failed"); strings.Contains(msg, "\n") || n > 1 {
			t.Errorf("error %q: not one line, or says \"verification failed\" %d times", msg, n)
		}
	}
	// Nothing may rewrite the user's file.
	if after, _ := os.ReadFile(kh); string(after) != content {
		t.Fatalf("known_hosts changed:\nbefore %q\nafter  %q", content, after)
	}
}

// junkKnownHosts are lines x/crypto's knownhosts refuses and OpenSSH skips.
const junkKnownHosts = `127.0.0.9 ssh-ed448 AAAAB3NzaC1lZDQ0OAAAADkAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
truncated.example.org
127.0.0.9 ssh-ed25519 !!!notbase64!!!
@stray 127.0.0.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
|1|bad|hash ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
`

// TestHostKeysPort22 is the known_hosts matrix on the port most users have:
// sshd on 127.0.0.2:22, the client with no port anywhere in its names.
func TestHostKeysPort22(t *testing.T) {
	testenv.Short(t)
	keyPath, pub := testenv.NewUserKey(t, "", "")
	s := testenv.StartSSHD(t, testenv.SSHDOptions{
		AuthorizedKeys: []string{pub}, ListenAddr: "127.0.0.2", Port: 22, HostCertificate: true,
	})
	otherPub := otherHostKey(t)
	plain := func(t *testing.T, s *testenv.SSHD) string { return s.KnownHostsLine + "\n" }

	for _, c := range []hostKeyCase{
		{name: "plain", knownHosts: plain},
		{name: "hashed", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return testenv.HashKnownHosts(t, s.KnownHostsLine+"\n")
		}},
		{name: "cert-authority", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return "@cert-authority " + s.Host + " " + s.HostCAPub + "\n"
		}},
		{name: "cert-authority-and-plain", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return "@cert-authority " + s.Host + " " + s.HostCAPub + "\n" + testenv.HashKnownHosts(t, s.KnownHostsLine+"\n")
		}},
		{name: "cert-authority-for-other-host", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return "@cert-authority other.example " + s.HostCAPub + "\n" + s.KnownHostsLine + "\n"
		}},
		{name: "unreadable-lines-skipped", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return junkKnownHosts + s.KnownHostsLine + "\n"
		}},
		{name: "host-key-alias", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return "box.alias " + s.HostKeyPub + "\n"
		}, config: func(t *testing.T, s *testenv.SSHD) string { return "  HostKeyAlias box.alias\n" }},
		{name: "revoked-marker", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return s.KnownHostsLine + "\n@revoked * " + s.HostKeyPub + "\n"
		}, wantErr: "REVOKED"},
		{name: "revoked-ca", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return "@cert-authority " + s.Host + " " + s.HostCAPub + "\n@revoked * " + s.HostCAPub + "\n"
		}, wantErr: "Host key verification failed"},
		{name: "revoked-host-keys-file", knownHosts: plain, config: func(t *testing.T, s *testenv.SSHD) string {
			f := filepath.Join(t.TempDir(), "revoked")
			if err := os.WriteFile(f, []byte("# revoked\n"+s.HostKeyPub+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("  RevokedHostKeys %q\n", f)
		}, wantErr: "revoked by file"},
		{name: "revoked-host-keys-krl", knownHosts: plain, config: func(t *testing.T, s *testenv.SSHD) string {
			return fmt.Sprintf("  RevokedHostKeys %q\n", makeKRL(t, s.HostKeyPub))
		}, wantErr: "revoked by file"},
		{name: "changed", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return s.Host + " " + otherPub + "\n"
		}, wantErr: "REMOTE HOST IDENTIFICATION HAS CHANGED"},
		{name: "unknown-strict", knownHosts: func(t *testing.T, s *testenv.SSHD) string { return "" },
			wantErr: "Host key verification failed"},
	} {
		t.Run(c.name, func(t *testing.T) { runHostKeyCase(t, s, keyPath, c) })
	}
}

// TestHostKeysNonDefaultPort checks "[host]:port" lines and HostKeyAlias on
// another port (the alias is looked up without the port, as OpenSSH does).
func TestHostKeysNonDefaultPort(t *testing.T) {
	testenv.Short(t)
	keyPath, pub := testenv.NewUserKey(t, "", "")
	s := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ListenAddr: "127.0.0.3"})
	for _, c := range []hostKeyCase{
		{name: "bracketed", knownHosts: func(t *testing.T, s *testenv.SSHD) string { return s.KnownHostsLine + "\n" }},
		// OpenSSH falls back to the bare name when "[h]:p" is unknown.
		{name: "bare-name-fallback", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return s.Host + " " + s.HostKeyPub + "\n"
		}},
		{name: "bracketed-changed-no-fallback", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return fmt.Sprintf("[%s]:%d %s\n%s %s\n", s.Host, s.Port, otherHostKey(t), s.Host, s.HostKeyPub)
		}, wantErr: "REMOTE HOST IDENTIFICATION HAS CHANGED"},
		{name: "unknown", knownHosts: func(t *testing.T, s *testenv.SSHD) string { return "" },
			wantErr: "Host key verification failed"},
		{name: "host-key-alias", knownHosts: func(t *testing.T, s *testenv.SSHD) string {
			return "box.alias " + s.HostKeyPub + "\n"
		}, config: func(t *testing.T, s *testenv.SSHD) string { return "  HostKeyAlias box.alias\n" }},
	} {
		t.Run(c.name, func(t *testing.T) { runHostKeyCase(t, s, keyPath, c) })
	}
}

// TestHostKeyLearnedPort22 learns a port-22 host (accept-new) and logs in
// again with strict checking: the line must be written as ssh writes it.
func TestHostKeyLearnedPort22(t *testing.T) {
	testenv.Short(t)
	keyPath, pub := testenv.NewUserKey(t, "", "")
	s := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ListenAddr: "127.0.0.4", Port: 22})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	// A line nobody can read stays where it is.
	if err := os.WriteFile(kh, []byte("truncated.example.org"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("Host target\n  HostName %s\n  User root\n  IdentityFile %q\n  IdentitiesOnly yes\n"+
		"  UserKnownHostsFile %q\n  GlobalKnownHostsFile /dev/null\n", s.Host, keyPath, kh))
	mustDial(t, resolveFor(t, cfg, "target", "-o", "StrictHostKeyChecking=accept-new"), FuncPrompter{})
	got := readTestFile(t, kh)
	if want := "truncated.example.org\n" + s.Host + " " + s.HostKeyPub + "\n"; got != want {
		t.Fatalf("known_hosts = %q, want %q", got, want)
	}
	mustDial(t, resolveFor(t, cfg, "target", "-o", "StrictHostKeyChecking=yes"), FuncPrompter{})
	// And OpenSSH reads what we wrote.
	out, err := exec.Command("ssh", "-F", cfg, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "target", "echo", "ok").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("ssh with our known_hosts: %v\n%s", err, out)
	}
}

// otherHostKey is a public key no sshd here has.
func otherHostKey(t *testing.T) string {
	k, _ := testenv.NewUserKey(t, "", "")
	return strings.Join(strings.Fields(readTestFile(t, k+".pub"))[:2], " ")
}

func readTestFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// makeKRL writes a KRL revoking pub with ssh-keygen -k.
func makeKRL(t *testing.T, pub string) string {
	t.Helper()
	dir := t.TempDir()
	spec := filepath.Join(dir, "revoke.pub")
	if err := os.WriteFile(spec, []byte(pub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	krl := filepath.Join(dir, "revoked.krl")
	if out, err := exec.Command(testenv.MustHaveExec(t, "ssh-keygen"), "-k", "-f", krl, spec).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -k: %v\n%s", err, out)
	}
	return krl
}

// TestLoadKnownHostsMapsNames: a skipped line keeps the other lines' numbers
// and names, as reported in a changed-key warning.
func TestLoadKnownHostsMapsNames(t *testing.T) {
	f := filepath.Join(t.TempDir(), "known_hosts")
	line := "127.0.0.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
	if err := os.WriteFile(f, []byte(junkKnownHosts+line), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := loadKnownHosts([]string{f, filepath.Join(t.TempDir(), "missing")})
	if err != nil {
		t.Fatal(err)
	}
	if len(db.skipped) != 5 {
		t.Fatalf("skipped %d lines, want 5: %q", len(db.skipped), db.skipped)
	}
	for i, n := range []int{1, 2, 3, 4, 5} {
		if !strings.HasPrefix(db.skipped[i], fmt.Sprintf("%s:%d: ", f, n)) {
			t.Errorf("skipped[%d] = %q, want line %d of %s", i, db.skipped[i], n, f)
		}
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	probe, _ := ssh.NewPublicKey(priv.Public())
	var kerr *knownhosts.KeyError
	if err := db.cb("127.0.0.9:22", &net.TCPAddr{}, probe); !errors.As(err, &kerr) || len(kerr.Want) != 1 {
		t.Fatalf("probe: %v, want a key mismatch with the one readable line", err)
	}
	if w := kerr.Want[0]; db.userFile(w.Filename) != f || w.Line != 6 {
		t.Fatalf("known key reported at %s:%d, want %s:6", db.userFile(w.Filename), w.Line, f)
	}
}

func TestRequiredRSASize(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ssh.NewPublicKey(&small.PublicKey)
	if bits, ok := rsaBits(pub); !ok || bits != 1024 {
		t.Fatalf("rsaBits = %d, %v", bits, ok)
	}
	h := newHostKeyChecker(&Config{HostName: "h", Port: 22, RequiredRSASize: 2048, StrictHostKeyChecking: "no"}, FuncPrompter{})
	if err := h.check("h:22", &net.TCPAddr{}, pub); err == nil || !strings.Contains(err.Error(), "invalid key length") {
		t.Fatalf("1024-bit host key with RequiredRSASize 2048: %v", err)
	}
}
