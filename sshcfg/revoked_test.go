package sshcfg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestRevocationListAgainstSSHKeygen builds KRLs and text lists with
// ssh-keygen and checks each key and certificate against them, with
// `ssh-keygen -Q` as the oracle.
func TestRevocationListAgainstSSHKeygen(t *testing.T) {
	keygen := testenv.MustHaveExec(t, "ssh-keygen")
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(keygen, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	newKey := func(name string) string {
		p := filepath.Join(dir, name)
		run("-q", "-t", "ed25519", "-N", "", "-C", name, "-f", p)
		return p
	}
	ca, otherCA := newKey("ca"), newKey("other-ca")
	var pubs []string // files to check, keys and certificates
	for _, c := range []struct {
		name, ca, id, serial string
	}{
		{"serial5", ca, "host-a", "5"}, {"serial10", ca, "host-b", "10"}, {"serial100", ca, "host-c", "100"},
		{"serial200", ca, "host-d", "200"}, {"serial0", ca, "host-e", "0"}, {"other-ca-10", otherCA, "host-f", "10"},
		{"other-ca-id-b", otherCA, "revoked-id", "77"},
	} {
		k := newKey(c.name)
		run("-q", "-s", c.ca, "-I", c.id, "-h", "-n", "h.example", "-z", c.serial, k+".pub")
		pubs = append(pubs, k+".pub", k+"-cert.pub")
	}
	plainRevoked, hashRevoked, innocent := newKey("plain"), newKey("hashed"), newKey("innocent")
	pubs = append(pubs, plainRevoked+".pub", hashRevoked+".pub", innocent+".pub", otherCA+".pub")
	fp := strings.Fields(run("-l", "-E", "sha256", "-f", hashRevoked+".pub"))[1]
	spec := filepath.Join(dir, "spec")
	writeTestFile(t, spec, "serial: 10\nserial: 90-110\nid: revoked-id\n")
	krl := filepath.Join(dir, "krl")
	run("-k", "-f", krl, "-s", ca+".pub", spec)
	spec2 := filepath.Join(dir, "spec2")
	writeTestFile(t, spec2, readTestFile(t, plainRevoked+".pub")+"hash: "+fp+"\n")
	run("-k", "-u", "-f", krl, spec2) // -u: add to the same KRL
	text := filepath.Join(dir, "revoked.txt")
	writeTestFile(t, text, "# keys\n\n"+readTestFile(t, plainRevoked+".pub")+readTestFile(t, otherCA+".pub"))

	for _, list := range []string{krl, text} {
		rl, err := loadRevocationList(list)
		if err != nil {
			t.Fatalf("load %s: %v", list, err)
		}
		for _, p := range pubs {
			k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(readTestFile(t, p)))
			if err != nil {
				t.Fatal(err)
			}
			var want bool
			if list == krl {
				out, _ := exec.Command(keygen, "-Q", "-f", list, p).CombinedOutput()
				want = strings.Contains(string(out), "REVOKED")
				if !want && !strings.Contains(string(out), ": ok") {
					t.Fatalf("ssh-keygen -Q -f %s %s: %s", list, p, out)
				}
			} else {
				// ssh-keygen -Q reads only KRLs; a text list revokes the
				// keys it names and the certificates they signed
				// (sshkey_in_file with check_ca), as in ssh.
				name := filepath.Base(p)
				want = name == "plain.pub" || name == "other-ca.pub" || strings.HasPrefix(name, "other-ca-") && strings.HasSuffix(name, "-cert.pub")
			}
			if got := rl.revoked(k); got != want {
				t.Errorf("%s in %s: revoked %v, ssh-keygen -Q says %v", filepath.Base(p), filepath.Base(list), got, want)
			}
		}
	}
}

func TestRevocationListErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadRevocationList(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: want an error (ssh refuses the host key)")
	}
	bad := filepath.Join(dir, "bad")
	writeTestFile(t, bad, "not a key\n")
	if _, err := loadRevocationList(bad); err == nil {
		t.Error("unparsable text: want an error")
	}
	for _, data := range []string{"SSHKRL\n\x00", "SSHKRL\n\x00\x00\x00\x00\x02", "SSHKRL\n\x00" + strings.Repeat("\x00", 40) + "\x09\x00\x00\x00\x00"} {
		if _, err := parseKRL([]byte(data)); err == nil {
			t.Errorf("parseKRL(%q): want an error", data)
		}
	}
}

func writeTestFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
