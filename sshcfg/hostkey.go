package sshcfg

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ErrHostKeyChanged and ErrHostKeyUnknown are wrapped by host key failures
// so that callers can branch on them.
var (
	ErrHostKeyChanged = errors.New("host key has changed")
	ErrHostKeyUnknown = errors.New("host key verification failed")
)

// hostKeyChecker checks one hop's host key against known_hosts the way
// OpenSSH does, asks about unknown hosts, learns accepted keys, and records
// the key it accepted (pinned for Redial).
type hostKeyChecker struct {
	c        *Config
	ui       Prompter
	knownFor string // the name looked up: HostKeyAlias or HostName, "[h]:p" when p != 22

	mu       sync.Mutex
	accepted ssh.PublicKey
}

func newHostKeyChecker(c *Config, ui Prompter) *hostKeyChecker {
	name := c.HostName
	if c.HostKeyAlias != "" {
		name = c.HostKeyAlias
	}
	return &hostKeyChecker{c: c, ui: ui, knownFor: knownhosts.Normalize(joinHostPort(name, c.Port))}
}

// existingFiles returns the known_hosts files that exist; knownhosts.New
// fails on a missing one, ssh just skips it.
func (h *hostKeyChecker) existingFiles() []string {
	var out []string
	for _, f := range append(append([]string{}, h.c.UserKnownHostsFiles...), h.c.GlobalKnownHostsFiles...) {
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			out = append(out, f)
		}
	}
	return out
}

// callback builds knownhosts' callback over the existing files, or nil.
func (h *hostKeyChecker) callback() (ssh.HostKeyCallback, error) {
	files := h.existingFiles()
	if len(files) == 0 {
		return nil, nil
	}
	cb, err := knownhosts.New(files...)
	if err != nil {
		return nil, fmt.Errorf("sshcfg: reading known hosts: %w", err)
	}
	return cb, nil
}

// knownKeyAlgorithms returns the host key algorithms to offer first: those
// of the keys already known for this host, so the server presents the key
// we can check (as OpenSSH orders HostKeyAlgorithms).
func (h *hostKeyChecker) knownKeyAlgorithms() []string {
	cb, err := h.callback()
	if err != nil || cb == nil {
		return nil
	}
	// Ask about a throwaway key: the KeyError lists what is known.
	_, priv, _ := ed25519.GenerateKey(nil)
	probe, _ := ssh.NewPublicKey(priv.Public())
	var kerr *knownhosts.KeyError
	if err := cb(h.knownFor, &net.TCPAddr{}, probe); !errors.As(err, &kerr) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a ...string) {
		for _, x := range a {
			if !seen[x] {
				seen[x] = true
				algos = append(algos, x)
			}
		}
	}
	for _, k := range kerr.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	if len(algos) == 0 {
		return nil
	}
	// Then everything else x/crypto supports, so a server that lost the
	// known key type still gets to the "changed" check.
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		add(a)
	}
	return algos
}

// check is the ssh.HostKeyCallback.
func (h *hostKeyChecker) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	cb, err := h.callback()
	if err != nil {
		return err
	}
	if _, ok := remote.(*net.TCPAddr); !ok {
		// A ProxyCommand pipe has no address; known_hosts is looked up
		// by name anyway.
		remote = &net.TCPAddr{IP: net.IPv4zero}
	}
	if cb != nil {
		err = cb(h.knownFor, remote, key)
	} else {
		err = &knownhosts.KeyError{}
	}
	var kerr *knownhosts.KeyError
	var rerr *knownhosts.RevokedError
	switch {
	case err == nil:
		h.accept(key)
		return nil
	case errors.As(err, &rerr):
		return fmt.Errorf("host key for %s is marked as revoked in %s:%d: %w", h.knownFor, rerr.Revoked.Filename, rerr.Revoked.Line, ErrHostKeyUnknown)
	case errors.As(err, &kerr) && len(kerr.Want) > 0:
		h.ui.Notice(changedWarning(h.knownFor, key, kerr.Want, h.c.UserKnownHostsFiles))
		w := kerr.Want[0]
		return fmt.Errorf("host key for %s has changed (offending key in %s:%d): if the change is expected, run ssh-keygen -R '%s': %w",
			h.knownFor, w.Filename, w.Line, h.knownFor, ErrHostKeyChanged)
	case errors.As(err, &kerr):
		return h.unknown(remote, key)
	default:
		return fmt.Errorf("sshcfg: checking host key: %w", err)
	}
}

// unknown handles a host with no known key, per StrictHostKeyChecking.
func (h *hostKeyChecker) unknown(remote net.Addr, key ssh.PublicKey) error {
	kind := keyTypeName(key)
	fp := ssh.FingerprintSHA256(key)
	switch h.c.StrictHostKeyChecking {
	case "yes":
		h.ui.Notice(fmt.Sprintf("No %s host key is known for %s and you have requested strict checking.", kind, h.knownFor))
		return fmt.Errorf("no host key is known for %s and StrictHostKeyChecking is yes: add it to %s first: %w", h.knownFor, h.firstUserFile(), ErrHostKeyUnknown)
	case "ask":
		if h.c.BatchMode {
			return fmt.Errorf("host key for %s is unknown and BatchMode forbids asking: %w", h.knownFor, ErrHostKeyUnknown)
		}
		ip := h.knownFor
		if ta, ok := remote.(*net.TCPAddr); ok && ta != nil && ta.IP != nil && !ta.IP.IsUnspecified() {
			ip = knownhosts.Normalize(joinHostPort(ta.IP.String(), h.c.Port))
		}
		q := fmt.Sprintf("The authenticity of host '%s (%s)' can't be established.\n%s key fingerprint is %s.\n"+
			"This key is not known by any other names.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ",
			h.knownFor, ip, kind, fp)
		for tries := 0; ; tries++ {
			ans, err := h.ui.Prompt(q, true)
			if err != nil {
				return fmt.Errorf("host key for %s is unknown and cannot ask: %w", h.knownFor, errors.Join(ErrHostKeyUnknown, err))
			}
			ans = strings.TrimSpace(ans)
			switch {
			case strings.EqualFold(ans, "yes") || ans == fp:
			case strings.EqualFold(ans, "no"):
				return fmt.Errorf("host key for %s was not accepted: %w", h.knownFor, ErrHostKeyUnknown)
			case tries < 8:
				if strings.HasPrefix(ans, "SHA256:") {
					q = "Warning: the ED25519 host key fingerprint does not match.\nPlease type 'yes', 'no' or the fingerprint: "
					q = strings.Replace(q, "ED25519", kind, 1)
				} else {
					q = "Please type 'yes', 'no' or the fingerprint: "
				}
				continue
			default:
				return fmt.Errorf("host key for %s was not accepted: %w", h.knownFor, ErrHostKeyUnknown)
			}
			break
		}
	}
	// accept-new, no, or a "yes" answer: learn it.
	if err := h.learn(key); err != nil {
		h.ui.Notice(fmt.Sprintf("Failed to add the host to the list of known hosts (%s): %v", h.firstUserFile(), err))
	} else {
		h.ui.Notice(fmt.Sprintf("Warning: Permanently added '%s' (%s) to the list of known hosts.", h.knownFor, kind))
	}
	h.accept(key)
	return nil
}

func (h *hostKeyChecker) accept(key ssh.PublicKey) {
	h.mu.Lock()
	h.accepted = key
	h.mu.Unlock()
}

func (h *hostKeyChecker) acceptedKey() ssh.PublicKey {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted
}

func (h *hostKeyChecker) firstUserFile() string {
	if len(h.c.UserKnownHostsFiles) == 0 {
		return "~/.ssh/known_hosts"
	}
	return h.c.UserKnownHostsFiles[0]
}

// learn appends the key to the first UserKnownHostsFile, hashed when
// HashKnownHosts is set.
func (h *hostKeyChecker) learn(key ssh.PublicKey) error {
	if len(h.c.UserKnownHostsFiles) == 0 || h.c.UserKnownHostsFiles[0] == "/dev/null" {
		return nil
	}
	file := h.c.UserKnownHostsFiles[0]
	name := h.knownFor
	if h.c.HashKnownHosts {
		name = knownhosts.HashHostname(name)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("sshcfg: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sshcfg: %w", err)
	}
	defer f.Close()
	// Start on a new line if the file does not end with one.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		if last, err := readLastByte(file); err == nil && last != '\n' {
			_, _ = f.WriteString("\n")
		}
	}
	if _, err := f.WriteString(knownhosts.Line([]string{name}, key) + "\n"); err != nil {
		return fmt.Errorf("sshcfg: %w", err)
	}
	return nil
}

func readLastByte(file string) (byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	b := make([]byte, 1)
	_, err = f.ReadAt(b, st.Size()-1)
	return b[0], err
}

// keyTypeName is OpenSSH's short name for a key type (ED25519, ECDSA, RSA).
func keyTypeName(key ssh.PublicKey) string {
	t := key.Type()
	if cert, ok := key.(*ssh.Certificate); ok {
		t = cert.Key.Type()
	}
	switch {
	case t == ssh.KeyAlgoED25519:
		return "ED25519"
	case strings.HasPrefix(t, "ecdsa-"):
		return "ECDSA"
	case t == ssh.KeyAlgoRSA:
		return "RSA"
	case t == "ssh-dss": // DSA: still named in old known_hosts files
		return "DSA"
	case strings.HasPrefix(t, "sk-ssh-ed25519"):
		return "ED25519-SK"
	case strings.HasPrefix(t, "sk-ecdsa"):
		return "ECDSA-SK"
	}
	return strings.ToUpper(t)
}

// changedWarning is OpenSSH's warning block for a changed host key.
func changedWarning(host string, key ssh.PublicKey, want []knownhosts.KnownKey, userFiles []string) string {
	kind := keyTypeName(key)
	var b bytes.Buffer
	b.WriteString("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n")
	b.WriteString("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n")
	b.WriteString("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n")
	b.WriteString("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n")
	b.WriteString("Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n")
	b.WriteString("It is also possible that a host key has just been changed.\n")
	fmt.Fprintf(&b, "The fingerprint for the %s key sent by the remote host is\n%s.\n", kind, ssh.FingerprintSHA256(key))
	b.WriteString("Please contact your system administrator.\n")
	if len(userFiles) > 0 {
		fmt.Fprintf(&b, "Add correct host key in %s to get rid of this message.\n", userFiles[0])
	}
	for _, w := range want {
		fmt.Fprintf(&b, "Offending %s key in %s:%s\n", keyTypeName(w.Key), w.Filename, strconv.Itoa(w.Line))
	}
	fmt.Fprintf(&b, "Host key for %s has changed and you have requested strict checking.\n", host)
	b.WriteString("Host key verification failed.")
	return b.String()
}
