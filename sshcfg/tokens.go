package sshcfg

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// tokenContext holds the values behind ssh_config's % tokens for one host.
type tokenContext struct {
	host         string // %h: the resolved HostName
	originalHost string // %n: the host as typed
	port         int    // %p
	remoteUser   string // %r
	localUser    string // %u
	home         string // %d
	uid          int    // %i
	localHost    string // %l: local hostname
	localShort   string // %L: local hostname up to the first dot
	hostKeyAlias string // %k: HostKeyAlias, or the host as typed
}

// errUnknownToken marks a % token this package cannot expand; Resolve then
// asks OpenSSH (ssh -G) so that the config is never read differently.
type errUnknownToken struct{ token string }

func (e *errUnknownToken) Error() string {
	return fmt.Sprintf("unknown %% token %q", e.token)
}

// connectionHash is %C: the hex SHA-1 of %l%h%p%r, as OpenSSH 9.2 computes it.
func (t *tokenContext) connectionHash() string {
	sum := sha1.Sum([]byte(fmt.Sprintf("%s%s%d%s", t.localHost, t.host, t.port, t.remoteUser)))
	return hex.EncodeToString(sum[:])
}

// expand replaces the % tokens in s. allowed lists the token letters the
// keyword accepts (ssh rejects others); "%%" is always accepted.
func (t *tokenContext) expand(s, allowed string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", &errUnknownToken{token: "%"}
		}
		i++
		c := s[i]
		if c == '%' {
			b.WriteByte('%')
			continue
		}
		if strings.IndexByte(allowed, c) < 0 {
			return "", &errUnknownToken{token: "%" + string(c)}
		}
		switch c {
		case 'h':
			b.WriteString(t.host)
		case 'n':
			b.WriteString(t.originalHost)
		case 'p':
			fmt.Fprintf(&b, "%d", t.port)
		case 'r':
			b.WriteString(t.remoteUser)
		case 'u':
			b.WriteString(t.localUser)
		case 'd':
			b.WriteString(t.home)
		case 'i':
			fmt.Fprintf(&b, "%d", t.uid)
		case 'l':
			b.WriteString(t.localHost)
		case 'L':
			b.WriteString(t.localShort)
		case 'k':
			b.WriteString(t.hostKeyAlias)
		case 'C':
			b.WriteString(t.connectionHash())
		default:
			return "", &errUnknownToken{token: "%" + string(c)}
		}
	}
	return b.String(), nil
}

// Token sets of OpenSSH 9.2 (ssh_config(5) TOKENS): the file keywords take
// the full client set; ProxyCommand only %h %n %p %r; HostName only %h.
const (
	fileTokens         = "CdhikLlnpru"
	proxyCommandTokens = "hnpr"
	hostNameTokens     = "h"
)

// expandTilde replaces a leading "~/" or a lone "~" with home. "~user/" is
// looked up like OpenSSH does only for the current user; other users are
// returned unchanged (an error would differ from ssh only in wording).
func expandTilde(s, home string) string {
	if s == "~" {
		return home
	}
	if strings.HasPrefix(s, "~/") {
		return strings.TrimSuffix(home, "/") + s[1:]
	}
	return s
}

// expandEnv replaces ${VAR} as OpenSSH does for file keywords; an unset
// variable is an error, as in ssh.
func expandEnv(s string, getenv func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[i+2 : i+j]
		v, ok := getenv(name)
		if !ok {
			return "", fmt.Errorf("environment variable ${%s} has no value", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

// expandPath does what OpenSSH does to a file name from the config: ~, then
// ${ENV}, then % tokens.
func (t *tokenContext) expandPath(s string) (string, error) {
	s = expandTilde(s, t.home)
	s, err := expandEnv(s, os.LookupEnv)
	if err != nil {
		return "", err
	}
	return t.expand(s, fileTokens)
}
