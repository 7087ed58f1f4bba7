package sshcfg

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
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

// hostKeyFailure is a refused host key: a message that says what and how to
// fix it, and the sentinels it is (ErrHostKeyUnknown, ErrHostKeyChanged,
// ErrHostKeyRevoked) for callers to branch on. The sentinels are not
// repeated in the text: DialError already leads with ssh's "Host key
// verification failed".
type hostKeyFailure struct {
	msg string
	is  []error
}

func (e *hostKeyFailure) Error() string   { return e.msg }
func (e *hostKeyFailure) Unwrap() []error { return e.is }

func refuse(msg string, is ...error) error { return &hostKeyFailure{msg: msg, is: is} }

// hostKeyChecker checks one hop's host key against known_hosts the way
// OpenSSH does, asks about unknown hosts, learns accepted keys, and records
// the key it accepted (pinned for Redial).
type hostKeyChecker struct {
	c  *Config
	ui Prompter
	// unsafeKey is a changed key accepted under StrictHostKeyChecking
	// no on a first connection (continueUnsafe); nil otherwise.
	unsafeKey ssh.PublicKey
	// lookup is what knownhosts matches against; it always wants
	// host:port, port 22 included. knownFor is the same name as
	// known_hosts writes it and OpenSSH shows it: "h" for port 22,
	// "[h]:p" otherwise. A HostKeyAlias is used as it is, without the
	// port, as OpenSSH does.
	lookup   string
	knownFor string
	// db is known_hosts, read once per handshake: the host key
	// algorithms to offer and the check itself both consult it.
	db func() (*knownHostsDB, error)

	mu       sync.Mutex
	accepted ssh.PublicKey
}

func newHostKeyChecker(c *Config, ui Prompter) *hostKeyChecker {
	name, port := c.HostName, c.Port
	if c.HostKeyAlias != "" {
		name, port = c.HostKeyAlias, 22
	}
	lookup := joinHostPort(name, port)
	h := &hostKeyChecker{c: c, ui: ui, lookup: lookup, knownFor: knownhosts.Normalize(lookup)}
	h.db = sync.OnceValues(h.readDB)
	return h
}

// readDB reads the known_hosts files (UserKnownHostsFile, then
// GlobalKnownHostsFile), skipping what OpenSSH skips.
func (h *hostKeyChecker) readDB() (*knownHostsDB, error) {
	db, err := loadKnownHosts(append(append([]string{}, h.c.UserKnownHostsFiles...), h.c.GlobalKnownHostsFiles...))
	if err != nil {
		return nil, err
	}
	for _, s := range db.skipped {
		h.debugf("known_hosts: skipped %s", s)
	}
	return db, nil
}

// knownKeyAlgorithms returns the host key algorithms to offer first: those
// of the keys already known for this host, so the server presents the key
// we can check (as OpenSSH orders HostKeyAlgorithms).
func (h *hostKeyChecker) knownKeyAlgorithms() []string {
	db, err := h.db()
	if err != nil || db.cb == nil {
		return nil
	}
	// Ask about a throwaway key: the KeyError lists what is known.
	_, priv, _ := ed25519.GenerateKey(nil)
	probe, _ := ssh.NewPublicKey(priv.Public())
	var kerr *knownhosts.KeyError
	if err := db.cb(h.lookup, &net.TCPAddr{}, probe); !errors.As(err, &kerr) {
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
		// A CA known for the host asks for certificates signed by it.
		t := k.Key.Type()
		if db.isCA(k) {
			switch t {
			case ssh.KeyAlgoRSA:
				add(ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01)
			default:
				add(t + "-cert-v01@openssh.com")
			}
			continue
		}
		switch t {
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
	if bits, ok := rsaBits(plainKey(key)); ok && bits < h.c.RequiredRSASize {
		return refuse(fmt.Sprintf("bad server host key: invalid key length: RSA key of %d bits is below RequiredRSASize %d",
			bits, h.c.RequiredRSASize), ErrHostKeyUnknown)
	}
	// RevokedHostKeys comes first, as in OpenSSH's verify_host_key.
	if file := h.c.RevokedHostKeys; file != "" {
		rl, err := loadRevocationList(file)
		if err != nil {
			return refuse(fmt.Sprintf("error checking host key %s %s in revoked keys file %s: %v",
				key.Type(), ssh.FingerprintSHA256(key), file, err), ErrHostKeyUnknown, err)
		}
		if rl.revoked(key) {
			h.errorf("Host key %s %s revoked by file %s", key.Type(), ssh.FingerprintSHA256(key), file)
			return refuse(fmt.Sprintf("host key for %s is revoked by %s", h.knownFor, file), ErrHostKeyRevoked, ErrHostKeyUnknown)
		}
	}
	db, err := h.db()
	if err != nil {
		return err
	}
	if _, ok := remote.(*net.TCPAddr); !ok {
		// A ProxyCommand pipe has no address; known_hosts is looked up
		// by name anyway.
		remote = &net.TCPAddr{IP: net.IPv4zero}
	}
	err = h.lookupKey(db, h.lookup, remote, key)
	var kerr *knownhosts.KeyError
	var rerr *knownhosts.RevokedError
	if cert, ok := key.(*ssh.Certificate); ok && err != nil && !errors.As(err, &rerr) {
		// No known CA accepts the certificate (or it is not valid for
		// this host): as OpenSSH retries with the plain key, check the
		// key the certificate certifies, which the server proved it has.
		err = h.lookupKey(db, h.lookup, remote, cert.Key)
	}
	if errors.As(err, &kerr) && len(kerr.Want) == 0 && h.c.HostKeyAlias == "" && h.c.Port != 22 {
		// Unknown as "[host]:port": OpenSSH then accepts a matching key
		// recorded for the bare host name ("found matching key w/out
		// port"), and otherwise goes on as for an unknown host.
		if h.lookupKey(db, joinHostPort(h.c.HostName, 22), remote, key) == nil {
			h.accept(key)
			return nil
		}
	}
	switch {
	case err == nil:
		h.accept(key)
		return nil
	case errors.As(err, &rerr):
		file := db.userFile(rerr.Revoked.Filename)
		h.errorf("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"+
			"@       WARNING: REVOKED HOST KEY DETECTED!               @\n"+
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"+
			"The %s host key for %s is marked as revoked.\n"+
			"This could mean that a stolen key is being used to\n"+
			"impersonate this host.", keyTypeName(key), h.knownFor)
		return refuse(fmt.Sprintf("host key for %s is marked as revoked in %s:%d", h.knownFor, file, rerr.Revoked.Line),
			ErrHostKeyRevoked, ErrHostKeyUnknown)
	case errors.As(err, &kerr) && len(kerr.Want) > 0:
		want := make([]knownhosts.KnownKey, len(kerr.Want))
		for i, w := range kerr.Want {
			w.Filename = db.userFile(w.Filename)
			want[i] = w
		}
		if h.unsafeKey != nil && bytes.Equal(key.Marshal(), h.unsafeKey.Marshal()) {
			// The second connection of continueUnsafe: the warning
			// was shown on the first.
			h.accept(key)
			return nil
		}
		strict := h.c.StrictHostKeyChecking != "no"
		h.errorf("%s", changedWarning(h.knownFor, key, want, h.c.UserKnownHostsFiles, strict))
		if !strict {
			// OpenSSH goes on without what a man in the middle could
			// use: the caller connects again without them.
			return &unsafeHostKeyError{key: key}
		}
		w := want[0]
		return refuse(fmt.Sprintf("the host key for %s has changed (offending key in %s:%d; if the change is expected: ssh-keygen -f %q -R %q)",
			h.knownFor, w.Filename, w.Line, w.Filename, h.knownFor), ErrHostKeyChanged)
	case errors.As(err, &kerr):
		return h.unknown(remote, key)
	default:
		return fmt.Errorf("checking host key: %w", err)
	}
}

// lookupKey checks key for host:port against db. The known keys a
// mismatch reports leave out @cert-authority lines: a host whose only entry
// is a CA is an unknown host for a plain key, not a changed one.
func (h *hostKeyChecker) lookupKey(db *knownHostsDB, hostport string, remote net.Addr, key ssh.PublicKey) error {
	if db.cb == nil {
		return &knownhosts.KeyError{}
	}
	err := db.cb(hostport, remote, key)
	var kerr *knownhosts.KeyError
	if !errors.As(err, &kerr) {
		return err
	}
	var want []knownhosts.KnownKey
	for _, w := range kerr.Want {
		if !db.isCA(w) {
			want = append(want, w)
		}
	}
	return &knownhosts.KeyError{Want: want}
}

// unknown handles a host with no known key, per StrictHostKeyChecking.
func (h *hostKeyChecker) unknown(remote net.Addr, key ssh.PublicKey) error {
	kind := keyTypeName(key)
	fp := ssh.FingerprintSHA256(key)
	switch h.c.StrictHostKeyChecking {
	case "yes":
		h.errorf("No %s host key is known for %s and you have requested strict checking.", kind, h.knownFor)
		return refuse(fmt.Sprintf("no host key is known for %s and StrictHostKeyChecking is yes: add it to %s first", h.knownFor, h.firstUserFile()), ErrHostKeyUnknown)
	case "ask":
		if h.c.BatchMode {
			return refuse(fmt.Sprintf("host key for %s is unknown and BatchMode forbids asking", h.knownFor), ErrHostKeyUnknown)
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
				return refuse(fmt.Sprintf("host key for %s is unknown and cannot ask: %v", h.knownFor, err), ErrHostKeyUnknown, err)
			}
			ans = strings.TrimSpace(ans)
			switch {
			case strings.EqualFold(ans, "yes") || ans == fp:
			case strings.EqualFold(ans, "no"):
				return refuse(fmt.Sprintf("host key for %s was not accepted", h.knownFor), ErrHostKeyUnknown)
			case tries < 8:
				if strings.HasPrefix(ans, "SHA256:") {
					q = "Warning: the ED25519 host key fingerprint does not match.\nPlease type 'yes', 'no' or the fingerprint: "
					q = strings.Replace(q, "ED25519", kind, 1)
				} else {
					q = "Please type 'yes', 'no' or the fingerprint: "
				}
				continue
			default:
				return refuse(fmt.Sprintf("host key for %s was not accepted", h.knownFor), ErrHostKeyUnknown)
			}
			break
		}
	}
	// accept-new, no, or a "yes" answer: learn it.
	if err := h.learn(key); err != nil {
		h.infof("Failed to add the host to the list of known hosts (%s): %v", h.firstUserFile(), err)
	} else {
		h.infof("Warning: Permanently added '%s' (%s) to the list of known hosts.", h.knownFor, kind)
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
	if strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// A line break or control character would forge or break lines.
		return fmt.Errorf("host name %q contains characters known_hosts cannot hold", name)
	}
	if h.c.HashKnownHosts {
		name = knownhosts.HashHostname(name)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	// Start on a new line if the file does not end with one.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		if last, err := readLastByte(file); err == nil && last != '\n' {
			_, _ = f.WriteString("\n")
		}
	}
	if _, err := f.WriteString(knownhosts.Line([]string{name}, key) + "\n"); err != nil {
		return err
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

// unsafeHostKeyError is a changed host key under StrictHostKeyChecking
// no: OpenSSH then logs in anyway, without password or
// keyboard-interactive authentication, agent or port forwarding. The
// handshake cannot take methods back once it started, so dialChain
// connects again with them off and this key accepted (continueUnsafe).
type unsafeHostKeyError struct{ key ssh.PublicKey }

func (e *unsafeHostKeyError) Error() string {
	return "host key changed; continuing without man-in-the-middle-able authentication"
}

// changedWarning is OpenSSH's warning block for a changed host key.
func changedWarning(host string, key ssh.PublicKey, want []knownhosts.KnownKey, userFiles []string, strict bool) string {
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
		fmt.Fprintf(&b, "  remove with:\n  ssh-keygen -f %q -R %q\n", w.Filename, host)
	}
	if !strict {
		return strings.TrimSuffix(b.String(), "\n")
	}
	// The caller's error line ends the block: "Host key verification failed".
	fmt.Fprintf(&b, "Host key for %s has changed and you have requested strict checking.", host)
	return b.String()
}

// Messages about the host key are shown at the level OpenSSH logs them:
// errorf for error(), infof for logit(), debugf for debug() (shown with -v).
func (h *hostKeyChecker) errorf(format string, a ...any) {
	if logLevelAtLeast(h.c.LogLevel, "ERROR") {
		h.ui.Notice(fmt.Sprintf(format, a...))
	}
}

func (h *hostKeyChecker) infof(format string, a ...any) {
	if logLevelAtLeast(h.c.LogLevel, "INFO") {
		h.ui.Notice(fmt.Sprintf(format, a...))
	}
}

func (h *hostKeyChecker) debugf(format string, a ...any) {
	if logLevelAtLeast(h.c.LogLevel, "DEBUG") {
		h.ui.Notice(fmt.Sprintf(format, a...))
	}
}

// logLevels are ssh's levels, quietest first.
var logLevels = []string{"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3"}

// logLevelAtLeast reports whether messages of level want are shown at level
// have ("" is ssh's default, INFO).
func logLevelAtLeast(have, want string) bool {
	if have == "" {
		have = "INFO"
	}
	return slices.Index(logLevels, have) >= slices.Index(logLevels, want)
}

// rsaBits is the modulus size of an RSA key.
func rsaBits(k ssh.PublicKey) (int, bool) {
	ck, ok := k.(ssh.CryptoPublicKey)
	if !ok {
		return 0, false
	}
	rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	if !ok {
		return 0, false
	}
	return rk.N.BitLen(), true
}
