package sshcfg

import (
	"crypto/ed25519"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// fuzzHostKey is a fixed host key for the fuzz targets.
func fuzzHostKey(t testing.TB) ssh.PublicKey {
	seed := make([]byte, ed25519.SeedSize)
	k, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzParseKRL: a KRL (RevokedHostKeys) from disk never panics the parser
// or the check, whatever it holds.
func FuzzParseKRL(f *testing.F) {
	f.Add([]byte("SSHKRL\n\x00\x00\x00\x00\x01" + strings.Repeat("\x00", 24) + "\x00\x00\x00\x00\x00\x00\x00\x00"))
	key := fuzzHostKey(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rl, err := parseKRL(data)
		if err != nil {
			return
		}
		rl.revoked(key)
		cert := &ssh.Certificate{Key: key, SignatureKey: key, Serial: 42, KeyId: "id", CertType: ssh.HostCert}
		rl.revoked(cert)
	})
}

// FuzzLoadKnownHosts: whatever else a known_hosts file holds, it never stops
// the login (lines nobody can read are skipped), and a readable line for the
// host still matches its key.
func FuzzLoadKnownHosts(f *testing.F) {
	f.Add(junkKnownHosts)
	f.Add("")
	f.Add("@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
	f.Add("!\n[x\n|1|AAAA|AAAA ssh-ed25519 AAAA\n\r\n#c\n")
	key := fuzzHostKey(f)
	good := "127.0.0.9 " + string(ssh.MarshalAuthorizedKey(key))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(dir, "known_hosts")
		if err := os.WriteFile(p, []byte(content+"\n"+good), 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := loadKnownHosts([]string{p})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if db.cb == nil {
			t.Fatal("the readable line was lost")
		}
		err = db.cb("127.0.0.9:22", &net.TCPAddr{}, key)
		var rerr *knownhosts.RevokedError
		if err != nil && !(errors.As(err, &rerr) && strings.Contains(content, "@revoked")) {
			t.Fatalf("good line not matched: %v", err)
		}
	})
}
