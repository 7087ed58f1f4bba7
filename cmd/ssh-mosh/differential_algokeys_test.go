package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// Rows of the login differential test for issue 23's algorithm lists and
// key formats: an sshd configured the old way (one cipher, one key
// exchange that today's defaults leave out), and private keys in the
// formats ssh reads that have no .pub beside them. Each setup starts its
// own sshd (on a free port of 127.0.0.1) with the fixture's key authorized
// and writes the whole ssh_config for it.

// oldSSHD starts an sshd whose sshd_config has extra (e.g. "Ciphers
// aes128-cbc") and points the run's config and known_hosts at it.
func oldSSHD(t *testing.T, f *diffFixture, extra, client string, keys ...string) {
	t.Helper()
	s := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: keys, ExtraConfig: extra})
	f.writeKnownHosts(t, s.KnownHostsLine+"\n")
	body := fmt.Sprintf("Host target\n  HostName 127.0.0.1\n  Port %d\n  User root\n  UserKnownHostsFile %s\n"+
		"  GlobalKnownHostsFile /dev/null\n  UpdateHostKeys no\n  ControlMaster no\n  ControlPath none\n%s",
		s.Port, f.knownHosts, client)
	if err := os.WriteFile(f.config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// keyWithoutPub makes an encrypted key with ssh-keygen (args such as
// "-t", "rsa", "-m", "PEM"), removes its .pub and returns the private key
// and its authorized_keys line.
func keyWithoutPub(t *testing.T, dir string, args ...string) (priv, pub string) {
	t.Helper()
	keygen := testenv.MustHaveExec(t, "ssh-keygen")
	priv = filepath.Join(dir, "id_nopub")
	if out, err := exec.Command(keygen, append([]string{"-q", "-N", "pass phrase", "-f", priv}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	b, err := os.ReadFile(priv + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(priv + ".pub"); err != nil {
		t.Fatal(err)
	}
	return priv, strings.TrimSpace(string(b))
}

func algoKeyScenarios() []diffScenario {
	pub := func(t *testing.T, path string) string {
		b, err := os.ReadFile(path + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	keyed := func(extra, client string) func(t *testing.T, f *diffFixture) []string {
		return func(t *testing.T, f *diffFixture) []string {
			oldSSHD(t, f, extra, identity(f.key)+client, pub(t, f.key))
			return []string{"target"}
		}
	}
	noPub := func(args ...string) func(t *testing.T, f *diffFixture) []string {
		return func(t *testing.T, f *diffFixture) []string {
			priv, line := keyWithoutPub(t, f.dir, args...)
			oldSSHD(t, f, "", identity(priv), line)
			return []string{"target"}
		}
	}
	return []diffScenario{
		{name: "old-cipher-defaults", status: 255, phrase: "no matching cipher found. Their offer: aes128-cbc",
			setup: keyed("Ciphers aes128-cbc", "")},
		{name: "old-cipher-plus", shell: true, setup: keyed("Ciphers aes128-cbc", "  Ciphers +aes128-cbc\n")},
		{name: "old-kex-defaults", status: 255, phrase: "no matching key exchange method found",
			setup: keyed("KexAlgorithms diffie-hellman-group14-sha1", "")},
		{name: "old-kex-plus", shell: true,
			setup: keyed("KexAlgorithms diffie-hellman-group14-sha1", "  KexAlgorithms +diffie-hellman-group14-sha1\n")},
		{name: "narrowed-cipher", status: 255, phrase: "no matching cipher found",
			setup: keyed("Ciphers aes256-ctr", "  Ciphers aes128-ctr\n")},
		{name: "pem-key-without-pub", shell: true, setup: noPub("-t", "rsa", "-b", "2048", "-m", "PEM"),
			steps: []diffStep{{passphraseQ, "pass phrase\r"}}},
		{name: "pkcs8-key-without-pub", shell: true, setup: noPub("-t", "ecdsa", "-m", "PKCS8"),
			steps: []diffStep{{passphraseQ, "pass phrase\r"}}},
	}
}
