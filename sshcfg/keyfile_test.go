package sshcfg

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
	"github.com/youmark/pkcs8"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestParsePrivateKeyFormats(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	pass := []byte("pass phrase")
	pkcs8PEM := func(key any, pw []byte) []byte {
		der, err := pkcs8.MarshalPrivateKey(key, pw, nil)
		if err != nil {
			t.Fatal(err)
		}
		typ := "PRIVATE KEY"
		if pw != nil {
			typ = "ENCRYPTED PRIVATE KEY"
		}
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	}
	opensshPEM := func(key any, pw []byte) []byte {
		var b *pem.Block
		var err error
		if pw == nil {
			b, err = ssh.MarshalPrivateKey(key, "c")
		} else {
			b, err = ssh.MarshalPrivateKeyWithPassphrase(key, "c", pw)
		}
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(b)
	}
	for _, tc := range []struct {
		name      string
		data      []byte
		encrypted bool
		pubKnown  bool // without the passphrase
	}{
		{"openssh ed25519", opensshPEM(edKey, nil), false, true},
		{"openssh ed25519 encrypted", opensshPEM(edKey, pass), true, true},
		{"PKCS8 RSA", pkcs8PEM(rsaKey, nil), false, true},
		{"PKCS8 RSA encrypted", pkcs8PEM(rsaKey, pass), true, false},
		{"PKCS8 ECDSA encrypted", pkcs8PEM(ecKey, pass), true, false},
		{"PKCS8 ed25519 encrypted", pkcs8PEM(edKey, pass), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := parsePrivateKey(tc.data, nil)
			var missing *ssh.PassphraseMissingError
			if !tc.encrypted {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ssh.NewSignerFromKey(key); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.As(err, &missing) || (missing.PublicKey != nil) != tc.pubKnown {
				t.Fatalf("without passphrase: %v", err)
			}
			if _, err := parsePrivateKey(tc.data, []byte("wrong")); !errors.Is(err, errWrongPassphrase) {
				t.Fatalf("wrong passphrase: %v", err)
			}
			key, err = parsePrivateKey(tc.data, pass)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ssh.NewSignerFromKey(key); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func FuzzParsePrivateKey(f *testing.F) {
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"), []byte("x"))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"), []byte("x"))
	f.Fuzz(func(t *testing.T, data, pass []byte) {
		for _, p := range [][]byte{nil, pass} {
			key, err := parsePrivateKey(data, p)
			if err == nil && key == nil {
				t.Fatal("no key and no error")
			}
		}
	})
}

// recordingAgent is an in-memory agent that remembers what was added.
type recordingAgent struct {
	agent.Agent
	mu    sync.Mutex
	added []agent.AddedKey
}

func (r *recordingAgent) Add(k agent.AddedKey) error {
	r.mu.Lock()
	r.added = append(r.added, k)
	r.mu.Unlock()
	return r.Agent.Add(k)
}

// serveAgent serves ag on a unix socket until the test ends.
func serveAgent(t *testing.T, ag agent.Agent) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Serve(t, l, func(c net.Conn) { _ = agent.ServeAgent(ag, c) })
	return sock
}

// TestAddKeysToAgentConstraints: once a passphrase was typed, the key goes
// to the agent with AddKeysToAgent's lifetime and confirmation, "ask"
// asks first (an empty answer or yes adds it, as ssh's ask_permission),
// and no or an unset AddKeysToAgent adds nothing.
func TestAddKeysToAgentConstraints(t *testing.T) {
	// PKCS#8 (quick to decrypt, unlike openssh-key-v1's bcrypt under
	// -race); such a key has no comment: the agent gets the file name,
	// as from ssh. The openssh-key-v1 comment is compared with ssh's in
	// TestAddKeysToAgentAgainstOpenSSH.
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	der, err := pkcs8.MarshalPrivateKey(edKey, []byte("pw"), nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	data := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})
	writeFileT(t, path, string(data))
	sshPub, _ := ssh.NewPublicKey(edKey.Public())

	for _, tc := range []struct {
		setting  string
		answers  []string // after the passphrase
		added    bool
		lifetime uint32
		confirm  bool
	}{
		{setting: "yes", added: true},
		{setting: "1h", added: true, lifetime: 3600},
		{setting: "confirm 30m", added: true, lifetime: 1800, confirm: true},
		{setting: "confirm", added: true, confirm: true},
		{setting: "ask", answers: []string{"yes"}, added: true},
		{setting: "ask", answers: []string{""}, added: true},
		{setting: "ask", answers: []string{"no"}},
		{setting: "no"},
		{setting: ""},
	} {
		t.Run(tc.setting+strings.Join(tc.answers, ","), func(t *testing.T) {
			rec := &recordingAgent{Agent: agent.NewKeyring()}
			sock := serveAgent(t, rec)
			c := &Config{NumberOfPasswordPrompts: 3, IdentityAgent: sock}
			if tc.setting != "" {
				if c.AddKeysToAgent, err = parseAddKeysToAgent(tc.setting); err != nil {
					t.Fatal(err)
				}
			}
			p := &recordingPrompter{answers: append([]string{"pw"}, tc.answers...)}
			a := &authState{c: c, ui: p.prompter()}
			if _, err := a.decrypt(path, data); err != nil {
				t.Fatal(err)
			}
			if tc.setting == "ask" {
				want := "Add key " + path + " (" + path + ") to agent? "
				if len(p.questions) != 2 || p.questions[1] != want {
					t.Fatalf("questions %q, want the passphrase then %q", p.questions, want)
				}
			} else if len(p.questions) != 1 {
				t.Fatalf("questions %q", p.questions)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if !tc.added {
				if len(rec.added) != 0 {
					t.Fatalf("added %d keys", len(rec.added))
				}
				return
			}
			if len(rec.added) != 1 {
				t.Fatalf("added %d keys", len(rec.added))
			}
			k := rec.added[0]
			if k.LifetimeSecs != tc.lifetime || k.ConfirmBeforeUse != tc.confirm || k.Comment != path {
				t.Fatalf("added lifetime %d confirm %v comment %q", k.LifetimeSecs, k.ConfirmBeforeUse, k.Comment)
			}
			keys, _ := rec.Agent.List()
			if tc.confirm {
				return // the in-memory keyring refuses confirmation; ssh-agent takes it
			}
			if len(keys) != 1 || !bytes.Equal(keys[0].Marshal(), sshPub.Marshal()) {
				t.Fatalf("agent holds %v", keys)
			}
		})
	}
}

// TestUnencryptedKeyAddedOnUse: an unencrypted identity file goes to the
// agent when it first signs, as ssh adds a key when it loads it to sign.
func TestUnencryptedKeyAddedOnUse(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKey(edKey, "c")
	path := filepath.Join(t.TempDir(), "id")
	writeFileT(t, path, string(pem.EncodeToMemory(block)))
	rec := &recordingAgent{Agent: agent.NewKeyring()}
	c := &Config{NumberOfPasswordPrompts: 3, IdentityAgent: serveAgent(t, rec), IdentityFiles: []string{path},
		AddKeysToAgent: AddKeysToAgent{Mode: "yes"}, PubkeyAuthentication: true, IdentitiesOnly: true}
	a := &authState{c: c, ui: FuncPrompter{}}
	defer a.close()
	signers := a.signers(nil)
	if len(signers) != 1 || len(rec.added) != 0 {
		t.Fatalf("%d signers, %d added before use", len(signers), len(rec.added))
	}
	if _, err := signers[0].(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, []byte("x"), ssh.KeyAlgoED25519); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.added) != 1 {
		t.Fatalf("added %d after use", len(rec.added))
	}
}

func TestAcceptedSigAlgorithms(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaPub, _ := ssh.NewPublicKey(&rsaKey.PublicKey)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edPub, _ := ssh.NewPublicKey(edKey.Public())
	caSigner, _ := ssh.NewSignerFromKey(edKey)
	cert := &ssh.Certificate{Key: rsaPub, CertType: ssh.UserCert, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, caSigner); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pub      ssh.PublicKey
		accepted string
		want     string
	}{
		{rsaPub, strings.Join(kwPubkey.defaults(), ","), "rsa-sha2-512,rsa-sha2-256"},
		{rsaPub, "rsa-sha2-256,ssh-rsa", "rsa-sha2-256,ssh-rsa"},
		{rsaPub, "ssh-ed25519", ""},
		{edPub, "ssh-ed25519", "ssh-ed25519"},
		{edPub, "ssh-ed25519-cert-v01@openssh.com", ""},
		{cert, "rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512", "rsa-sha2-256"},
		{cert, strings.Join(kwPubkey.defaults(), ","), "rsa-sha2-512,rsa-sha2-256"},
	} {
		if got := strings.Join(acceptedSigAlgorithms(tc.pub, strings.Split(tc.accepted, ",")), ","); got != tc.want {
			t.Errorf("%s with %s: %q, want %q", tc.pub.Type(), tc.accepted, got, tc.want)
		}
	}
}

// TestCertHostKeyCheck: a host certificate signed with an algorithm
// outside CASignatureAlgorithms is checked as its plain key, with
// OpenSSH's message; an allowed one goes to the check as it is (which
// itself falls back to the plain key when no CA vouches for it).
func TestCertHostKeyCheck(t *testing.T) {
	_, hostKey, _ := ed25519.GenerateKey(rand.Reader)
	hostPub, _ := ssh.NewPublicKey(hostKey.Public())
	_, caKey, _ := ed25519.GenerateKey(rand.Reader)
	ca, _ := ssh.NewSignerFromKey(caKey)
	cert := &ssh.Certificate{Key: hostPub, CertType: ssh.HostCert, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, caAlgs, want string
		notice             bool
	}{
		{name: "allowed", caAlgs: "ssh-ed25519,rsa-sha2-512", want: "cert"},
		{name: "disallowed", caAlgs: "rsa-sha2-512", want: "plain", notice: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var checked []string
			check := func(_ string, _ net.Addr, key ssh.PublicKey) error {
				if _, ok := key.(*ssh.Certificate); ok {
					checked = append(checked, "cert")
				} else {
					checked = append(checked, "plain")
				}
				return nil
			}
			var notices []string
			cb := certHostKeyCheck(check, strings.Split(tc.caAlgs, ","), func(m string) { notices = append(notices, m) })
			if err := cb("h:22", &net.TCPAddr{}, cert); err != nil {
				t.Fatal(err)
			}
			if err := cb("h:22", &net.TCPAddr{}, hostPub); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(checked, " "); got != tc.want+" plain" {
				t.Fatalf("checked %q, want %q then the plain key", got, tc.want)
			}
			if (len(notices) > 0) != tc.notice || (tc.notice && notices[0] != "Certificate signed with disallowed algorithm") {
				t.Fatalf("notices %q", notices)
			}
		})
	}
}
