package sshcfg

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/youmark/pkcs8"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Private key files are read in every format OpenSSH's ssh reads:
// openssh-key-v1, PEM (PKCS#1 RSA, SEC1 EC, DSA; plain or encrypted with
// Proc-Type/DEK-Info) and PKCS#8 (PRIVATE KEY, and ENCRYPTED PRIVATE KEY,
// which x/crypto does not read and github.com/youmark/pkcs8 decrypts).

// errWrongPassphrase is a passphrase that does not decrypt the key
// (OpenSSH's "incorrect passphrase supplied to decrypt private key").
var errWrongPassphrase = errors.New("incorrect passphrase supplied to decrypt private key")

// errNoPassphrase is an empty answer to the passphrase question: as in
// ssh, the key is skipped.
var errNoPassphrase = errors.New("no passphrase given")

// parsePrivateKey parses a private key file. With a nil passphrase, a key
// that needs one returns *ssh.PassphraseMissingError, whose PublicKey is
// set when the file tells it without decrypting (openssh-key-v1). A
// passphrase that does not decrypt it returns errWrongPassphrase.
func parsePrivateKey(data, passphrase []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block != nil && block.Type == "ENCRYPTED PRIVATE KEY" {
		if len(passphrase) == 0 {
			return nil, &ssh.PassphraseMissingError{}
		}
		key, err := pkcs8.ParsePKCS8PrivateKey(block.Bytes, passphrase)
		if err != nil {
			if isFormatError(err) {
				return nil, fmt.Errorf("PKCS#8 key: %w", err)
			}
			return nil, errWrongPassphrase
		}
		return key, nil
	}
	if passphrase == nil {
		return ssh.ParseRawPrivateKey(data)
	}
	key, err := ssh.ParseRawPrivateKeyWithPassphrase(data, passphrase)
	switch {
	case err == nil:
		return key, nil
	case errors.Is(err, x509.IncorrectPasswordError):
		return nil, errWrongPassphrase
	case block != nil && strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") && !isFormatError(err):
		// A wrong passphrase now and then yields valid CBC padding
		// and garbage that fails to parse: OpenSSH calls that a wrong
		// passphrase too.
		return nil, errWrongPassphrase
	}
	return nil, err
}

// isFormatError tells a file ssh-mosh cannot decrypt at all (an unknown
// cipher or key derivation) from a wrong passphrase.
func isFormatError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "unsupported") || strings.Contains(s, "only PKCS") || strings.Contains(s, "only PBES2") ||
		strings.Contains(s, "unknown")
}

// AddKeysToAgent is the AddKeysToAgent setting: whether a key read from a
// file (once its passphrase was typed) goes to the agent, so the next
// login asks nothing.
type AddKeysToAgent struct {
	Mode     string        // "no" (or ""), "yes", "ask", "confirm"
	Lifetime time.Duration // 0: until the agent ends
}

// parseAddKeysToAgent reads yes|no|ask|confirm, "confirm TIME" and a bare
// TIME (meaning yes), as ssh_config does, and ssh -G's forms of them
// (true, false, "confirm SECONDS", SECONDS).
func parseAddKeysToAgent(v string) (AddKeysToAgent, error) {
	f := strings.Fields(v)
	if len(f) == 0 || len(f) > 2 {
		return AddKeysToAgent{}, fmt.Errorf("use yes, no, ask, confirm, confirm TIME or TIME")
	}
	var a AddKeysToAgent
	switch strings.ToLower(f[0]) {
	case "yes", "true":
		a.Mode = "yes"
	case "no", "false":
		a.Mode = "no"
	case "ask":
		a.Mode = "ask"
	case "confirm":
		a.Mode = "confirm"
	default:
		if len(f) == 1 {
			d, err := parseSSHTime(f[0])
			if err != nil {
				return a, fmt.Errorf("use yes, no, ask, confirm, confirm TIME or TIME: %w", err)
			}
			return AddKeysToAgent{Mode: "yes", Lifetime: d}, nil
		}
	}
	if len(f) == 2 {
		if a.Mode != "confirm" {
			return AddKeysToAgent{}, fmt.Errorf("only confirm takes a time (confirm 30m); use yes, no, ask, confirm or TIME")
		}
		d, err := parseSSHTime(f[1])
		if err != nil {
			return AddKeysToAgent{}, fmt.Errorf("invalid time value: %w", err)
		}
		a.Lifetime = d
	}
	return a, nil
}

// addToAgent adds a key just read from path to the agent, as ssh's
// maybe_add_key_to_agent: only with AddKeysToAgent set and an agent
// reachable; "ask" asks first (an empty answer or yes adds it); a failure
// is not an error for the login.
func (a *authState) addToAgent(path string, raw any) {
	m := a.c.AddKeysToAgent
	if m.Mode == "" || m.Mode == "no" {
		return
	}
	sock := a.agentSocket()
	if sock == "" {
		return
	}
	comment := keyComment(path)
	if m.Mode == "ask" {
		if a.ui == nil || a.c.BatchMode {
			return
		}
		ans, err := a.prompt(fmt.Sprintf("Add key %s (%s) to agent? ", path, comment), true)
		if err != nil {
			return
		}
		if ans = strings.TrimSpace(ans); ans != "" && !strings.EqualFold(ans, "yes") {
			return
		}
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return
	}
	defer conn.Close()
	_ = agent.NewClient(conn).Add(agent.AddedKey{
		PrivateKey:       raw,
		Comment:          comment,
		LifetimeSecs:     uint32(m.Lifetime / time.Second),
		ConfirmBeforeUse: m.Mode == "confirm",
	})
}

// keyComment is the comment the agent shows for a key: an openssh-key-v1
// file's own comment (also in its .pub), otherwise the file name, as ssh
// does for PEM and PKCS#8 keys, which carry none.
func keyComment(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
		return path
	}
	pubData, err := os.ReadFile(path + ".pub")
	if err != nil {
		return path
	}
	if _, comment, _, _, err := ssh.ParseAuthorizedKey(pubData); err == nil && comment != "" {
		return comment
	}
	return path
}

// acceptedSigAlgorithms is what PubkeyAcceptedAlgorithms lets pub sign
// with, in that list's order (the order OpenSSH picks an RSA signature
// in), as x/crypto's underlying signature names; empty when its key type
// is not accepted at all (OpenSSH's key_type_allowed_by_config).
func acceptedSigAlgorithms(pub ssh.PublicKey, accepted []string) []string {
	keyType := pub.Type()
	cert, isCert := pub.(*ssh.Certificate)
	if isCert {
		keyType = cert.Key.Type()
	}
	cands := []string{keyType}
	if keyType == ssh.KeyAlgoRSA {
		cands = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	var out []string
	for _, a := range accepted {
		for _, c := range cands {
			name := c
			if isCert {
				name = certAlgo(c)
			}
			if a == name && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// restrictSigner limits s to the signature algorithms PubkeyAcceptedAlgorithms
// allows for its key; nil when it allows none.
func restrictSigner(s ssh.Signer, accepted []string) ssh.Signer {
	algos := acceptedSigAlgorithms(s.PublicKey(), accepted)
	if ms, ok := s.(ssh.MultiAlgorithmSigner); ok {
		var both []string
		for _, a := range algos {
			if slices.Contains(ms.Algorithms(), a) {
				both = append(both, a)
			}
		}
		algos = both
	}
	if len(algos) == 0 {
		return nil
	}
	as, ok := s.(ssh.AlgorithmSigner)
	if !ok {
		return s
	}
	ms, err := ssh.NewSignerWithAlgorithms(as, algos)
	if err != nil {
		return nil
	}
	return ms
}

// firstUse calls hook once, after the first signature: ssh adds an
// unencrypted identity file to the agent when it loads it to sign.
type firstUse struct {
	ssh.AlgorithmSigner
	once sync.Once
	hook func()
}

func (f *firstUse) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	sig, err := f.AlgorithmSigner.Sign(rand, data)
	if err == nil {
		f.once.Do(f.hook)
	}
	return sig, err
}

func (f *firstUse) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	sig, err := f.AlgorithmSigner.SignWithAlgorithm(rand, data, algorithm)
	if err == nil {
		f.once.Do(f.hook)
	}
	return sig, err
}

// pendingKey is an identity file whose public key is unknown until it is
// decrypted: an encrypted PEM or PKCS#8 key without its .pub. OpenSSH
// loads such a key when its turn comes among the keys ("Trying private
// key"), asking the passphrase then. x/crypto asks each signer for its
// public key exactly at its turn, so PublicKey loads it. A key that could
// not be loaded (no passphrase given, wrong three times) or whose type
// PubkeyAcceptedAlgorithms excludes shows a throwaway key and no
// algorithm, which x/crypto skips.
type pendingKey struct {
	load     func() (ssh.Signer, error)
	restrict func(ssh.Signer) ssh.Signer
	note     func()

	once        sync.Once
	signer      ssh.MultiAlgorithmSigner
	placeholder ssh.PublicKey
}

var _ ssh.MultiAlgorithmSigner = (*pendingKey)(nil)

func (p *pendingKey) get() ssh.MultiAlgorithmSigner {
	p.once.Do(func() {
		if s, err := p.load(); err == nil {
			if ms, ok := p.restrict(s).(ssh.MultiAlgorithmSigner); ok {
				p.signer = ms
				return
			}
		}
		_, priv, _ := ed25519.GenerateKey(nil)
		p.placeholder, _ = ssh.NewPublicKey(priv.Public())
	})
	return p.signer
}

func (p *pendingKey) PublicKey() ssh.PublicKey {
	p.note()
	if s := p.get(); s != nil {
		return s.PublicKey()
	}
	return p.placeholder
}

func (p *pendingKey) Algorithms() []string {
	if s := p.get(); s != nil {
		return s.Algorithms()
	}
	return nil
}

func (p *pendingKey) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	if s := p.get(); s != nil {
		return s.Sign(rand, data)
	}
	return nil, fmt.Errorf("key not loaded")
}

func (p *pendingKey) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	if s := p.get(); s != nil {
		return s.SignWithAlgorithm(rand, data, algorithm)
	}
	return nil, fmt.Errorf("key not loaded")
}

// permOK is OpenSSH's sshkey_perm_ok: a private key file of the user's own
// that others may read or write is refused, with ssh's warning, and the
// login goes on without it. (ssh warns once the server has accepted the
// key's public half and it needs the private one; keys are read before
// that here, so the warning comes for every such file ssh would offer.)
func (a *authState) permOK(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return true // the read that follows fails, and says why
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 == 0 {
		return true
	}
	if a.ui != nil && logLevelAtLeast(a.c.LogLevel, "ERROR") {
		a.ui.Notice("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n" +
			"@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n" +
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n" +
			fmt.Sprintf("Permissions 0%03o for '%s' are too open.\n", fi.Mode().Perm(), path) +
			"It is required that your private key files are NOT accessible by others.\n" +
			"This private key will be ignored.\n" +
			"Load key \"" + path + "\": bad permissions")
	}
	return false
}
