package sshcfg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ssh-mosh/ssh-mosh/internal/vis"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authState builds the auth methods for one hop in OpenSSH's order (agent
// keys, identity files with their certificates, keyboard-interactive,
// password) and records what was tried for the "permission denied" message.
type authState struct {
	c       *Config
	ui      Prompter // nil: never prompt (Redial)
	home    string
	agentRW io.ReadWriteCloser

	// abort ends the connection being authenticated: x/crypto goes on to
	// the next method when one fails, so a Ctrl-C at a passphrase prompt
	// would only lead to the password prompt. interrupted records why.
	abort       func()
	interrupted atomic.Bool

	mu            sync.Mutex
	tried         []string
	passwordTries int
	// fileSigners are identity files already loaded (and decrypted), kept
	// for Redial so it never needs to ask again.
	fileSigners []ssh.Signer
}

// prompt asks the user; Ctrl-C there ends the whole login.
func (a *authState) prompt(question string, echo bool) (string, error) {
	if a.interrupted.Load() {
		return "", ErrInterrupted
	}
	ans, err := a.ui.Prompt(question, echo)
	if errors.Is(err, ErrInterrupted) {
		a.interrupted.Store(true)
		if a.abort != nil {
			a.abort()
		}
	}
	return ans, err
}

// triedNote records an attempt once, for the error message.
func (a *authState) triedNote(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range a.tried {
		if t == s {
			return
		}
	}
	a.tried = append(a.tried, s)
}

func (a *authState) triedList() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tried...)
}

// close releases the agent connection.
func (a *authState) close() {
	if a.agentRW != nil {
		a.agentRW.Close()
		a.agentRW = nil
	}
}

// agentSocket returns the agent socket to use, or "".
func (a *authState) agentSocket() string {
	switch a.c.IdentityAgent {
	case "none":
		return ""
	case "", "SSH_AUTH_SOCK":
		return os.Getenv("SSH_AUTH_SOCK")
	default:
		if strings.HasPrefix(a.c.IdentityAgent, "$") {
			return os.Getenv(strings.TrimPrefix(a.c.IdentityAgent, "$"))
		}
		return a.c.IdentityAgent
	}
}

// methods returns the auth methods for the handshake.
func (a *authState) methods(cached []ssh.Signer) []ssh.AuthMethod {
	var out []ssh.AuthMethod
	if a.c.PubkeyAuthentication {
		out = append(out, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) { return a.signers(cached), nil }))
	}
	if a.ui == nil || a.c.BatchMode {
		return out
	}
	prompts := a.c.NumberOfPasswordPrompts
	if prompts <= 0 {
		prompts = 1
	}
	if a.c.KbdInteractiveAuth {
		out = append(out, ssh.RetryableAuthMethod(ssh.KeyboardInteractive(a.keyboardInteractive), prompts))
	}
	if a.c.PasswordAuthentication {
		out = append(out, ssh.RetryableAuthMethod(ssh.PasswordCallback(a.password), prompts))
	}
	return out
}

func (a *authState) destination() string {
	return fmt.Sprintf("%s@%s", a.c.User, a.c.HostName)
}

func (a *authState) password() (string, error) {
	a.mu.Lock()
	a.passwordTries++
	again := a.passwordTries > 1
	a.mu.Unlock()
	if again {
		a.ui.Notice("Permission denied, please try again.")
	}
	a.triedNote("password")
	return a.prompt(fmt.Sprintf("%s's password: ", a.destination()), false)
}

func (a *authState) keyboardInteractive(name, instruction string, questions []string, echos []bool) ([]string, error) {
	a.triedNote("keyboard-interactive")
	if len(questions) == 0 {
		return nil, nil
	}
	// The server writes these: a hostile one could move the cursor,
	// retitle the window or ask the terminal to answer. Shown escaped,
	// as OpenSSH's log does (strnvis).
	if name != "" || instruction != "" {
		a.ui.Notice(strings.TrimSpace(vis.Visible(name) + "\n" + vis.Visible(instruction)))
	}
	answers := make([]string, len(questions))
	for i, q := range questions {
		// OpenSSH shows "(user@host) Password: " for kbd-interactive.
		ans, err := a.prompt(fmt.Sprintf("(%s) %s", a.destination(), vis.Visible(q)), echos[i])
		if err != nil {
			return nil, err
		}
		answers[i] = ans
	}
	return answers, nil
}

// signers returns agent keys then identity files (certificates first), as
// OpenSSH offers them. Identity files whose public key is already offered
// by the agent are not repeated.
func (a *authState) signers(cached []ssh.Signer) []ssh.Signer {
	var out []ssh.Signer
	offered := map[string]bool{}
	accepted := a.c.Algorithms.pubkeyAccepted()
	add := func(s ssh.Signer, label string) {
		k := string(s.PublicKey().Marshal())
		if offered[k] {
			return
		}
		// As ssh, skip a key whose type PubkeyAcceptedAlgorithms
		// excludes, and sign only with the algorithms it accepts.
		rs := restrictSigner(s, accepted)
		if rs == nil {
			return
		}
		offered[k] = true
		out = append(out, &notingSigner{Signer: rs, note: func() { a.triedNote(label) }})
	}
	files := a.identityFiles()
	if sock := a.agentSocket(); sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			a.agentRW = conn
			ag := agent.NewClient(conn)
			if sigs, err := ag.Signers(); err == nil {
				for _, s := range sigs {
					if a.c.IdentitiesOnly && !files.hasPublic(s.PublicKey()) {
						continue
					}
					add(s, "agent key "+keyTypeName(s.PublicKey())+" "+ssh.FingerprintSHA256(s.PublicKey()))
				}
			}
		}
	}
	for _, s := range cached {
		add(s, "cached key "+keyTypeName(s.PublicKey())+" "+ssh.FingerprintSHA256(s.PublicKey()))
	}
	if cached != nil {
		return out
	}
	for _, id := range files {
		if id.pending != nil {
			label := a.shortPath(id.path)
			out = append(out, &pendingKey{
				load:     id.pending,
				restrict: func(s ssh.Signer) ssh.Signer { return restrictSigner(s, accepted) },
				note:     func() { a.triedNote(label) },
			})
			continue
		}
		if id.signer == nil {
			continue
		}
		label := a.shortPath(id.path)
		for _, cert := range id.certs {
			if cs, err := ssh.NewCertSigner(cert, id.signer); err == nil {
				add(cs, label+" (certificate)")
			}
		}
		add(id.signer, label)
	}
	return out
}

func (a *authState) shortPath(p string) string {
	if a.home != "" && strings.HasPrefix(p, a.home+"/") {
		return "~" + p[len(a.home):]
	}
	return p
}

// identity is one IdentityFile: its public key (known without decrypting),
// a signer that decrypts on first use, and certificates found for it.
type identity struct {
	path   string
	pub    ssh.PublicKey
	signer ssh.Signer
	certs  []*ssh.Certificate
	// pending loads a key whose public key is unknown until it is
	// decrypted (asking the passphrase); nil otherwise.
	pending func() (ssh.Signer, error)
}

type identities []*identity

func (ids identities) hasPublic(k ssh.PublicKey) bool {
	for _, id := range ids {
		if id.pub != nil && bytes.Equal(id.pub.Marshal(), k.Marshal()) {
			return true
		}
	}
	return false
}

// identityFiles loads the configured identity files that exist, with their
// "-cert.pub" and the CertificateFile entries that belong to them.
func (a *authState) identityFiles() identities {
	var extraCerts []*ssh.Certificate
	for _, f := range a.c.CertificateFiles {
		if cert := readCert(f); cert != nil {
			extraCerts = append(extraCerts, cert)
		}
	}
	var ids identities
	for _, path := range a.c.IdentityFiles {
		data, err := os.ReadFile(path)
		if err != nil || !a.permOK(path) {
			continue
		}
		id := &identity{path: path}
		raw, err := parsePrivateKey(data, nil)
		var missing *ssh.PassphraseMissingError
		switch {
		case err == nil:
			signer, err := ssh.NewSignerFromKey(raw)
			if err != nil {
				continue
			}
			id.pub = signer.PublicKey()
			id.signer = signer
			if as, ok := signer.(ssh.AlgorithmSigner); ok {
				id.signer = &firstUse{AlgorithmSigner: as, hook: func() { a.addToAgent(path, raw) }}
			}
			a.keep(signer)
		case errors.As(err, &missing):
			id.pub = missing.PublicKey
			if id.pub == nil {
				id.pub = readPublic(path + ".pub")
			}
			load := func() (ssh.Signer, error) { return a.decrypt(path, data) }
			switch {
			case a.ui == nil || a.c.BatchMode:
			case id.pub != nil:
				id.signer = &lazySigner{pub: id.pub, load: load}
			default:
				id.pending = load
			}
		default:
			continue
		}
		if cert := readCert(path + "-cert.pub"); cert != nil {
			id.certs = append(id.certs, cert)
		}
		for _, cert := range extraCerts {
			if id.pub != nil && bytes.Equal(cert.Key.Marshal(), id.pub.Marshal()) {
				id.certs = append(id.certs, cert)
			}
		}
		ids = append(ids, id)
	}
	return ids
}

func (a *authState) keep(s ssh.Signer) {
	a.mu.Lock()
	a.fileSigners = append(a.fileSigners, s)
	a.mu.Unlock()
}

// decrypt asks for the passphrase of an encrypted key as ssh's
// load_identity_file does (OpenSSH's wording, up to
// NumberOfPasswordPrompts times, an empty answer skips the key), keeps
// the key for Redial and offers it to the agent per AddKeysToAgent.
func (a *authState) decrypt(path string, data []byte) (ssh.Signer, error) {
	lastErr := errNoPassphrase
	for i := 0; i < a.c.NumberOfPasswordPrompts; i++ {
		pass, err := a.prompt(fmt.Sprintf("Enter passphrase for key '%s': ", path), false)
		if err != nil {
			return nil, err
		}
		if pass == "" {
			return nil, fmt.Errorf("%s: %w", path, errNoPassphrase)
		}
		raw, err := parsePrivateKey(data, []byte(pass))
		if err == nil {
			s, err := ssh.NewSignerFromKey(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			a.keep(s)
			a.addToAgent(path, raw)
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errWrongPassphrase) {
			return nil, fmt.Errorf("load key %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("bad passphrase for %s: %w", path, lastErr)
}

func readPublic(path string) ssh.PublicKey {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil
	}
	return k
}

func readCert(path string) *ssh.Certificate {
	if cert, ok := readPublic(path).(*ssh.Certificate); ok {
		return cert
	}
	return nil
}

// lazySigner offers a public key and decrypts the private key only when
// the server accepted it and a signature is needed, as OpenSSH asks for a
// passphrase only then.
type lazySigner struct {
	pub  ssh.PublicKey
	load func() (ssh.Signer, error)

	once   sync.Once
	signer ssh.Signer
	err    error
}

var _ ssh.AlgorithmSigner = (*lazySigner)(nil)

func (l *lazySigner) PublicKey() ssh.PublicKey { return l.pub }

func (l *lazySigner) get() (ssh.Signer, error) {
	l.once.Do(func() { l.signer, l.err = l.load() })
	return l.signer, l.err
}

func (l *lazySigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	s, err := l.get()
	if err != nil {
		return nil, err
	}
	return s.Sign(rand, data)
}

func (l *lazySigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	s, err := l.get()
	if err != nil {
		return nil, err
	}
	if as, ok := s.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algorithm)
	}
	return s.Sign(rand, data)
}

// notingSigner records that its key was offered.
type notingSigner struct {
	ssh.Signer
	note func()
}

var _ ssh.MultiAlgorithmSigner = (*notingSigner)(nil)

// Algorithms keeps the restriction of the signer it wraps (see
// restrictSigner); a signer without one signs with its key's algorithm.
func (n *notingSigner) Algorithms() []string {
	if ms, ok := n.Signer.(ssh.MultiAlgorithmSigner); ok {
		return ms.Algorithms()
	}
	return []string{n.Signer.PublicKey().Type()}
}

func (n *notingSigner) PublicKey() ssh.PublicKey {
	n.note()
	return n.Signer.PublicKey()
}

func (n *notingSigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	if as, ok := n.Signer.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algorithm)
	}
	return n.Signer.Sign(rand, data)
}
