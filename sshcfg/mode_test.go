package sshcfg

import (
	"crypto/rand"
	"crypto/rsa"
	"net"
	"strings"

	"errors"
	"golang.org/x/crypto/ssh"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecideTable(t *testing.T) {
	tests := []struct {
		args          []string
		stdin, stdout bool
		want          Mode
	}{
		{[]string{"host"}, true, true, ModeSession},
		{[]string{"-p22", "-l", "u", "-i", "k", "-J", "j", "-4", "-v", "-q", "-C", "-oUser=x", "host"}, true, true, ModeSession},
		{[]string{"-F", "cfg", "-o", "ForwardAgent=no", "user@host"}, true, true, ModeSession},
		{[]string{"-t", "host", "top"}, true, true, ModeSession},
		{[]string{"-tt", "host", "top"}, true, true, ModeSession},
		{[]string{"host", "ls"}, true, true, ModePassthrough},
		{[]string{"host"}, false, true, ModePassthrough},
		{[]string{"host"}, true, false, ModePassthrough},
		{[]string{"-tt", "host", "top"}, false, true, ModePassthrough},
		{[]string{}, true, true, ModePassthrough},
		{[]string{"-o", "RemoteCommand=top", "host"}, true, true, ModePassthrough},
		{[]string{"-o", "RequestTTY no", "host"}, true, true, ModePassthrough},
		{[]string{"-o", "LocalForward=1 h:2", "host"}, true, true, ModeSession},
		{[]string{"-A", "-L", "1:h:2", "-R", "0:h:3", "-D", "1080", "-g", "host"}, true, true, ModeSession},
		{[]string{"-N", "-L", "1:h:2", "host"}, true, true, ModePassthrough},
		{[]string{"-L", "1:h:2", "host", "ls"}, true, true, ModePassthrough},
		{[]string{"-L", "1:h:2", "host"}, false, true, ModePassthrough},
		{[]string{"-o", "SessionType=none", "host"}, true, true, ModePassthrough},
		{[]string{"-o", "ForwardAgent=yes", "host"}, true, true, ModeSession},
	}
	for _, letter := range "NfTsGVXYMKy" {
		tests = append(tests, struct {
			args          []string
			stdin, stdout bool
			want          Mode
		}{[]string{"-" + string(letter), "host"}, true, true, ModePassthrough})
	}
	for _, f := range [][]string{{"-W", "h:1"}, {"-O", "check"}, {"-Q", "cipher"},
		{"-S", "/tmp/ctl"}, {"-w", "0"}, {"-E", "log"}, {"-B", "eth0"}, {"-b", "1.2.3.4"}, {"-c", "aes128-ctr"}, {"-m", "hmac-sha1"}, {"-I", "lib"}, {"-P", "tag"}} {
		tests = append(tests, struct {
			args          []string
			stdin, stdout bool
			want          Mode
		}{append(f, "host"), true, true, ModePassthrough})
	}
	for _, tt := range tests {
		o, rest := parse(t, tt.args...)
		got, why := Decide(o, rest, tt.stdin, tt.stdout)
		if got != tt.want {
			t.Errorf("Decide(%q, stdin tty %v, stdout tty %v) = %v (%s), want %v", tt.args, tt.stdin, tt.stdout, got, why, tt.want)
		}
		if why == "" {
			t.Errorf("Decide(%q): empty reason", tt.args)
		}
	}
}

func TestDecideConfig(t *testing.T) {
	for _, c := range []Config{{RemoteCommand: "x"},
		{SessionType: "none"}, {RequestTTY: "no"}, {ForkAfterAuthentication: true}} {
		if m, _ := DecideConfig(&c); m != ModePassthrough {
			t.Errorf("DecideConfig(%+v) = %v, want passthrough", c, m)
		}
	}
	if m, why := DecideConfig(&Config{RequestTTY: "auto", SessionType: "default", LocalForwards: []string{"1 h:2"}, ForwardAgent: "yes"}); m != ModeSession {
		t.Errorf("plain config: %v (%s)", m, why)
	}
}

// FindRealSSH must skip a "ssh" that is ssh-mosh itself, however it is
// installed: symlinked or hard-linked first in PATH.
func TestFindRealSSHSkipsSelf(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	realDir := t.TempDir()
	fakeReal := filepath.Join(realDir, "ssh")
	if err := os.WriteFile(fakeReal, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	linkDir := t.TempDir()
	if err := os.Symlink(self, filepath.Join(linkDir, "ssh")); err != nil {
		t.Fatal(err)
	}
	got, err := findRealSSH(self, linkDir+string(os.PathListSeparator)+realDir)
	if err != nil || got != fakeReal {
		t.Fatalf("findRealSSH with symlinked self first = %q, %v; want %q", got, err, fakeReal)
	}
	// Also when self is reached through the symlink (argv[0] = "ssh").
	got, err = findRealSSH(filepath.Join(linkDir, "ssh"), linkDir+string(os.PathListSeparator)+realDir)
	if err != nil || got != fakeReal {
		t.Fatalf("findRealSSH via the link = %q, %v; want %q", got, err, fakeReal)
	}
	// A hard link (same inode) is ourselves too.
	hardDir := filepath.Join(filepath.Dir(self), "hard")
	if err := os.Mkdir(hardDir, 0o755); err == nil {
		defer os.RemoveAll(hardDir)
		if err := os.Link(self, filepath.Join(hardDir, "ssh")); err == nil {
			got, err = findRealSSH(self, hardDir+string(os.PathListSeparator)+realDir)
			if err != nil || got != fakeReal {
				t.Fatalf("findRealSSH with hard-linked self = %q, %v; want %q", got, err, fakeReal)
			}
		}
	}
	if _, err := findRealSSH(self, linkDir); !errors.Is(err, ErrNoOpenSSH) {
		t.Fatalf("only ourselves in PATH: err = %v, want ErrNoOpenSSH", err)
	}
}

func TestPassthroughArgv(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"ssh-mosh", "-p22", "host", "ls", "--ssh=x"}, []string{"/usr/bin/ssh", "-p22", "host", "ls", "--ssh=x"}},
		{[]string{"ssh-mosh", "--predict=never", "-4", "--server", "/x", "-o", "User=u", "host"}, []string{"/usr/bin/ssh", "-4", "-o", "User=u", "host"}},
		{[]string{"ssh-mosh", "--ssh=ssh -p 2022 -o 'User=a b'", "-L", "1:h:2", "host", "cmd"}, []string{"/usr/bin/ssh", "-p", "2022", "-o", "User=a b", "-L", "1:h:2", "host", "cmd"}},
		{[]string{"ssh-mosh", "--verbose", "-p", "--predict", "host"}, []string{"/usr/bin/ssh", "-v", "-p", "--predict", "host"}},
		{[]string{"ssh-mosh", "-N", "--", "host", "--port=1"}, []string{"/usr/bin/ssh", "-N", "--", "host", "--port=1"}},
	}
	for _, tt := range tests {
		got, err := PassthroughArgv("/usr/bin/ssh", tt.in)
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("PassthroughArgv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestConfigKeywordsHandedToOpenSSH: what a roaming session cannot honour
// sends the login to OpenSSH, from the config file or -o; the defaults and
// the values that ask for nothing keep the roaming session.
func TestConfigKeywordsHandedToOpenSSH(t *testing.T) {
	for _, tt := range []struct {
		line        string
		passthrough bool
	}{
		{"ForwardAgent yes", false}, {"ForwardAgent /tmp/agent.sock", false}, {"ForwardAgent no", false},
		{"ForwardX11 yes", true}, {"ForwardX11 no", false}, {"ForwardX11Trusted yes", false},
		{"Tunnel point-to-point", true}, {"Tunnel no", false},
		{"PermitLocalCommand yes", true}, {"PKCS11Provider /usr/lib/opensc-pkcs11.so", true}, {"PKCS11Provider none", false},
		{"ProxyUseFdpass yes", true}, {"CheckHostIP yes", true}, {"CheckHostIP no", false},
		{"HostbasedAuthentication yes", true}, {"BindAddress 127.0.0.1", true}, {"BindInterface lo", true},
		{"VerifyHostKeyDNS yes", true}, {"VerifyHostKeyDNS no", false}, {"NoHostAuthenticationForLocalhost yes", true},
		{"KnownHostsCommand /bin/echo %H", true}, {"ControlMaster auto", false}, {"GSSAPIAuthentication yes", false},
		{"SendEnv LANG LC_*", false}, {"HashKnownHosts yes", false},
	} {
		for _, viaFlag := range []bool{false, true} {
			cfg := writeConfig(t, "Host h\n  HostName 127.0.0.1\n")
			args := []string{"-F", cfg}
			if viaFlag {
				args = append(args, "-o", strings.Replace(tt.line, " ", "=", 1))
			} else {
				cfg = writeConfig(t, "Host h\n  HostName 127.0.0.1\n  "+tt.line+"\n")
				args = []string{"-F", cfg}
			}
			o, rest := parse(t, append(args, "h")...)
			c, err := (&Resolver{Home: t.TempDir(), SSH: "none"}).Resolve(o, rest[0])
			if err != nil {
				t.Fatalf("%s: %v", tt.line, err)
			}
			if m, why := DecideConfig(c); (m == ModePassthrough) != tt.passthrough {
				t.Errorf("%q (flag %v): %v (%s), want passthrough %v", tt.line, viaFlag, m, why, tt.passthrough)
			}
		}
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
