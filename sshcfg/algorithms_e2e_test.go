package sshcfg

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestAlgorithmsAgainstOpenSSH runs each scenario through OpenSSH's ssh
// and through Dial, against the same real sshd configured the old way or
// narrowed, with the same client configuration: both must log in, or
// both must fail with the same "Unable to negotiate" line.
func TestAlgorithmsAgainstOpenSSH(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	servers := map[string]*testenv.SSHD{}
	server := func(extra string) *testenv.SSHD {
		if s := servers[extra]; s != nil {
			return s
		}
		s := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: extra})
		servers[extra] = s
		return s
	}
	const (
		oldCipher = "Ciphers aes128-cbc"
		oldKex    = "KexAlgorithms diffie-hellman-group14-sha1"
		narrow    = "Ciphers aes256-ctr\nMACs hmac-sha2-256"
	)
	for _, tc := range []struct {
		name   string
		sshd   string
		client string   // ssh_config lines for the host
		flags  []string // before the destination
		fail   string   // the phrase both must fail with; "" = both log in
	}{
		{name: "old cipher, defaults", sshd: oldCipher, fail: "no matching cipher found. Their offer: aes128-cbc"},
		{name: "old cipher, Ciphers +aes128-cbc", sshd: oldCipher, client: "Ciphers +aes128-cbc"},
		{name: "old cipher, -c aes128-cbc", sshd: oldCipher, flags: []string{"-c", "aes128-cbc"}},
		{name: "old cipher, -o Ciphers=^aes128-cbc", sshd: oldCipher, flags: []string{"-o", "Ciphers=^aes128-cbc"}},
		{name: "old kex, defaults", sshd: oldKex, fail: "no matching key exchange method found. Their offer: diffie-hellman-group14-sha1"},
		{name: "old kex, KexAlgorithms +diffie-hellman-group14-sha1", sshd: oldKex, client: "KexAlgorithms +diffie-hellman-group14-sha1"},
		{name: "narrowed cipher", sshd: narrow, client: "Ciphers aes128-ctr,aes192-ctr", fail: "no matching cipher found. Their offer: aes256-ctr"},
		{name: "narrowed cipher, -c", sshd: narrow, flags: []string{"-c", "aes128-ctr"}, fail: "no matching cipher found"},
		{name: "removed cipher", sshd: narrow, client: "Ciphers -aes256*", fail: "no matching cipher found"},
		{name: "narrowed MAC", sshd: narrow, client: "MACs hmac-sha2-512,hmac-sha1", fail: "no matching MAC found. Their offer: hmac-sha2-256"},
		{name: "narrowed MAC, -m", sshd: narrow, flags: []string{"-m", "hmac-sha2-256"}},
		{name: "narrowed kex", client: "KexAlgorithms diffie-hellman-group14-sha1", fail: "no matching key exchange method found"},
		{name: "narrowed host key", client: "HostKeyAlgorithms ecdsa-sha2-*,rsa-sha2-512", fail: "no matching host key type found. Their offer: ssh-ed25519"},
		{name: "host key by pattern", client: "HostKeyAlgorithms ssh-ed*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server(tc.sshd)
			cfgPath, _ := s.ClientConfig(t, "target", priv)
			if tc.client != "" {
				body, _ := os.ReadFile(cfgPath)
				writeFileT(t, cfgPath, strings.Replace(string(body), "Host target\n", "Host target\n  "+strings.ReplaceAll(tc.client, "\n", "\n  ")+"\n", 1))
			}
			// LogLevel INFO: the fixture config says ERROR, which silences the line.
			args := append(append([]string{"-F", cfgPath, "-o", "BatchMode=yes", "-o", "LogLevel=INFO"}, tc.flags...), "target", "echo", "in")
			want := runOpenSSH(t, nil, args...)
			wantLine := lineWith(want.stderr, "Unable to negotiate")

			c := resolveFor(t, cfgPath, "target", tc.flags...)
			conn, err := Dial(dialCtx(t), c, FuncPrompter{})
			if conn != nil {
				defer conn.Close()
			}
			if tc.fail == "" {
				if want.code != 0 || want.stdout != "in\n" {
					t.Fatalf("OpenSSH did not log in (status %d): %s", want.code, want.stderr)
				}
				if err != nil {
					t.Fatalf("OpenSSH logs in, ssh-mosh: %v", err)
				}
				if got := remoteOutput(t, conn, "echo in"); got != "in\n" {
					t.Fatalf("output %q", got)
				}
				return
			}
			if want.code != 255 || !strings.Contains(wantLine, tc.fail) {
				t.Fatalf("OpenSSH: status %d, stderr %q; want 255 and %q", want.code, want.stderr, tc.fail)
			}
			if err == nil {
				t.Fatalf("OpenSSH fails with %q, ssh-mosh logged in", wantLine)
			}
			if got := strings.TrimPrefix(err.Error(), "ssh-mosh: "); got != wantLine {
				t.Fatalf("ssh-mosh: %q\n    ssh: %q", got, wantLine)
			}
		})
	}
}

// TestHostKeyRecordedAsOpenSSH gives a server ed25519, ECDSA and RSA host
// keys: a new host gets the key OpenSSH would record (ed25519 first), and
// a host known by its ECDSA key is checked with that key, not asked about
// again.
func TestHostKeyRecordedAsOpenSSH(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	dir := t.TempDir()
	var extra []string
	for _, typ := range []string{"rsa", "ecdsa"} {
		p := filepath.Join(dir, "host_"+typ)
		if out, err := exec.Command(testenv.MustHaveExec(t, "ssh-keygen"), "-q", "-t", typ, "-N", "", "-f", p).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		extra = append(extra, "HostKey "+p)
	}
	s := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: strings.Join(extra, "\n")})
	ecdsaPub, err := os.ReadFile(filepath.Join(dir, "host_ecdsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	ecdsaLine := fmt.Sprintf("[127.0.0.1]:%d %s", s.Port, strings.Join(strings.Fields(string(ecdsaPub))[:2], " "))

	for _, tc := range []struct {
		name, known, hostKeyAlgs string
	}{
		{name: "new host"},
		{name: "new host, + list", hostKeyAlgs: "+ssh-rsa"},
		{name: "new host, ^ list", hostKeyAlgs: "^rsa-sha2-256"},
		{name: "known by ECDSA", known: ecdsaLine + "\n"},
		{name: "known by ECDSA, + list", known: ecdsaLine + "\n", hostKeyAlgs: "+ssh-rsa"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(client string) string {
				d := t.TempDir()
				kh := filepath.Join(d, "known_hosts")
				writeFileT(t, kh, tc.known)
				cfg := fmt.Sprintf("Host target\n  HostName 127.0.0.1\n  Port %d\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n"+
					"  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking accept-new\n  UpdateHostKeys no\n",
					s.Port, priv, kh)
				if tc.hostKeyAlgs != "" {
					cfg += "  HostKeyAlgorithms " + tc.hostKeyAlgs + "\n"
				}
				cfgPath := filepath.Join(d, "ssh_config")
				writeFileT(t, cfgPath, cfg)
				if client == "ssh" {
					if r := runOpenSSH(t, nil, "-F", cfgPath, "-o", "BatchMode=yes", "target", "true"); r.code != 0 {
						t.Fatalf("ssh: %d %s", r.code, r.stderr)
					}
				} else {
					conn := mustDial(t, resolveFor(t, cfgPath, "target"), FuncPrompter{})
					conn.Close()
				}
				b, _ := os.ReadFile(kh)
				return string(b)
			}
			want, got := run("ssh"), run("ssh-mosh")
			if keyTypes(got) != keyTypes(want) {
				t.Fatalf("known_hosts after ssh-mosh:\n%s\nafter ssh:\n%s", got, want)
			}
		})
	}
}

// keyTypes lists the key types of known_hosts lines.
func keyTypes(s string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			out = append(out, f[1])
		}
	}
	return strings.Join(out, " ")
}

func writeFileT(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPubkeyAcceptedAlgorithmsAgainstOpenSSH: an RSA user key is offered
// and signed with only what PubkeyAcceptedAlgorithms allows, and both
// clients agree on logging in or being refused, also against an sshd that
// takes a single RSA signature algorithm.
func TestPubkeyAcceptedAlgorithmsAgainstOpenSSH(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	priv := sshKeygen("rsa", "", "")(t, dir)
	pub := publicLine(t, priv, "")
	servers := map[string]*testenv.SSHD{}
	outer := t
	for _, tc := range []struct {
		name, sshd, client string
		in                 bool
	}{
		{name: "default", in: true},
		{name: "ed25519 only", client: "PubkeyAcceptedAlgorithms ssh-ed25519", in: false},
		{name: "rsa removed", client: "PubkeyAcceptedAlgorithms -rsa-sha2-*", in: false},
		{name: "rsa-sha2-256 only", client: "PubkeyAcceptedAlgorithms rsa-sha2-256", in: true},
		// sshd's server-sig-algs names every algorithm it knows, so ssh
		// signs with its first choice, rsa-sha2-512, and is refused.
		{name: "server takes rsa-sha2-256, client default", sshd: "PubkeyAcceptedAlgorithms rsa-sha2-256", in: false},
		{name: "server takes rsa-sha2-256, client ^rsa-sha2-256", sshd: "PubkeyAcceptedAlgorithms rsa-sha2-256", client: "PubkeyAcceptedAlgorithms ^rsa-sha2-256", in: true},
		{name: "server rsa-sha2-256, client rsa-sha2-512", sshd: "PubkeyAcceptedAlgorithms rsa-sha2-256", client: "PubkeyAcceptedAlgorithms rsa-sha2-512", in: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := servers[tc.sshd]
			if s == nil {
				s = testenv.StartSSHD(outer, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: tc.sshd})
				servers[tc.sshd] = s
			}
			cfgPath, _ := s.ClientConfig(t, "target", priv)
			if tc.client != "" {
				body, _ := os.ReadFile(cfgPath)
				writeFileT(t, cfgPath, strings.Replace(string(body), "Host target\n", "Host target\n  "+tc.client+"\n", 1))
			}
			want := runOpenSSH(t, nil, "-F", cfgPath, "-o", "BatchMode=yes", "-o", "LogLevel=INFO", "target", "true")
			if (want.code == 0) != tc.in || (!tc.in && !strings.Contains(want.stderr, "Permission denied")) {
				t.Fatalf("OpenSSH: status %d, %s", want.code, want.stderr)
			}
			conn, err := Dial(dialCtx(t), resolveFor(t, cfgPath, "target"), FuncPrompter{})
			if tc.in {
				if err != nil {
					t.Fatalf("OpenSSH logs in, ssh-mosh: %v", err)
				}
				conn.Close()
				return
			}
			if err == nil {
				conn.Close()
				t.Fatal("OpenSSH is refused, ssh-mosh logged in")
			}
			if !errors.Is(err, ErrPermissionDenied) {
				t.Fatalf("ssh-mosh: %v, want permission denied", err)
			}
		})
	}
}

// TestCASignatureAlgorithmsAgainstOpenSSH: a host known only through an
// @cert-authority line is accepted by its certificate; with the CA's
// signature algorithm outside CASignatureAlgorithms both clients refuse
// the certificate and, the plain key being unknown under strict
// checking, the host.
func TestCASignatureAlgorithmsAgainstOpenSSH(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	dir := t.TempDir()
	keygen := testenv.MustHaveExec(t, "ssh-keygen")
	ca := filepath.Join(dir, "ca")
	runTool(t, keygen, "-q", "-t", "ed25519", "-N", "", "-f", ca)
	hostKey := filepath.Join(dir, "host_ed25519")
	runTool(t, keygen, "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	runTool(t, keygen, "-q", "-s", ca, "-I", "testhost", "-h", "-n", "127.0.0.1", hostKey+".pub")
	s := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub},
		ExtraConfig: fmt.Sprintf("HostKey %s\nHostCertificate %s-cert.pub", hostKey, hostKey)})
	caPub, _ := os.ReadFile(ca + ".pub")
	for _, tc := range []struct {
		name, client string
		in           bool
	}{
		{name: "default", in: true},
		{name: "CA algorithm not allowed", client: "CASignatureAlgorithms rsa-sha2-512,rsa-sha2-256", in: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath, kh := s.ClientConfig(t, "target", priv)
			writeFileT(t, kh, fmt.Sprintf("@cert-authority [127.0.0.1]:%d %s", s.Port, caPub))
			if tc.client != "" {
				body, _ := os.ReadFile(cfgPath)
				writeFileT(t, cfgPath, strings.Replace(string(body), "Host target\n", "Host target\n  "+tc.client+"\n", 1))
			}
			want := runOpenSSH(t, nil, "-F", cfgPath, "-o", "BatchMode=yes", "-o", "LogLevel=INFO", "target", "true")
			if (want.code == 0) != tc.in {
				t.Fatalf("OpenSSH: status %d, %s", want.code, want.stderr)
			}
			var notices []string
			conn, err := Dial(dialCtx(t), resolveFor(t, cfgPath, "target"), FuncPrompter{NoticeFunc: func(m string) { notices = append(notices, m) }})
			if tc.in {
				if err != nil {
					t.Fatalf("OpenSSH logs in, ssh-mosh: %v", err)
				}
				conn.Close()
				return
			}
			if err == nil {
				conn.Close()
				t.Fatal("OpenSSH refuses the host, ssh-mosh logged in")
			}
			if !errors.Is(err, ErrHostKeyUnknown) || errors.Is(err, ErrHostKeyChanged) || !strings.Contains(want.stderr, "Host key verification failed") {
				t.Fatalf("ssh-mosh: %v\nssh: %s", err, want.stderr)
			}
			if !strings.Contains(want.stderr, notices[0]) {
				t.Fatalf("ssh-mosh noticed %q, ssh said %s", notices, want.stderr)
			}
		})
	}
}
