package sshcfg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	sshconfig "github.com/kevinburke/ssh_config"
	"github.com/ssh-mosh/ssh-mosh/internal/vis"
)

// The native evaluator reads ssh_config files with kevinburke/ssh_config's
// parser (for its syntax tree and line numbers) but evaluates them itself,
// the way OpenSSH's readconf.c does: -o options and command-line flags
// first, then the files in order; the first value of a keyword wins, except
// for the accumulating ones. Host patterns are matched here because the
// library's matcher treats "?" as "zero or one character".
//
// Whatever it does not evaluate (Match, CanonicalizeHostname, unknown
// keywords, unknown % tokens, a file the library cannot parse) makes it
// return a *needsSSHError, and Resolve asks OpenSSH with ssh -G instead.

// needsSSHError says why the native evaluator stepped aside.
type needsSSHError struct{ where, why string }

func (e *needsSSHError) Error() string {
	if e.where == "" {
		return e.why
	}
	return e.where + ": " + e.why
}

// setting is one keyword value and where it came from (file:line, or
// "command line").
type setting struct{ value, where string }

// settings collects keyword values with ssh's precedence. Keys are
// lower-case canonical keyword names.
type settings struct {
	vals      map[string][]setting
	filesRead int // by evalFile, for maxConfigFiles
}

func newSettings() *settings { return &settings{vals: map[string][]setting{}} }

// multiKeywords accumulate over all matching lines instead of first-wins.
var multiKeywords = map[string]bool{
	"identityfile": true, "certificatefile": true, "localforward": true,
	"remoteforward": true, "dynamicforward": true, "sendenv": true,
}

// keywordAliases maps old or alternative names to the canonical one.
var keywordAliases = map[string]string{
	"challengeresponseauthentication": "kbdinteractiveauthentication",
	"pubkeyacceptedkeytypes":          "pubkeyacceptedalgorithms",
	"hostbasedkeytypes":               "hostbasedacceptedalgorithms",
	"hostbasedacceptedkeytypes":       "hostbasedacceptedalgorithms",
}

// nativeKeywords are the OpenSSH 9 client keywords this evaluator accepts.
// Most only need to be recognised (they change nothing here); any other
// keyword sends the config to ssh -G, which knows the deprecated ones and
// reports the bad ones with its own message.
var nativeKeywords = toSet(`host match include user hostname port addressfamily batchmode
canonicalizefallbacklocal canonicalizehostname checkhostip compression controlmaster
enablesshkeysign clearallforwardings exitonforwardfailure fingerprinthash forwardx11
forwardx11trusted gatewayports gssapiauthentication gssapikeyexchange gssapidelegatecredentials
gssapitrustdns gssapirenewalforcesrekey gssapikexalgorithms gssapiclientidentity gssapiserveridentity
hashknownhosts hostbasedauthentication identitiesonly kbdinteractiveauthentication
nohostauthenticationforlocalhost passwordauthentication permitlocalcommand proxyusefdpass
pubkeyauthentication requesttty sessiontype stdinnull forkafterauthentication streamlocalbindunlink
stricthostkeychecking tcpkeepalive tunnel verifyhostkeydns visualhostkey updatehostkeys
enableescapecommandline canonicalizemaxdots connectionattempts forwardx11timeout
numberofpasswordprompts serveralivecountmax serveraliveinterval requiredrsasize ciphers
hostkeyalgorithms hostbasedacceptedalgorithms kexalgorithms casignaturealgorithms loglevel macs
securitykeyprovider pubkeyacceptedalgorithms xauthlocation identityfile canonicaldomains
globalknownhostsfile userknownhostsfile logverbose permitremoteopen addkeystoagent forwardagent
connecttimeout tunneldevice canonicalizepermittedcnames controlpersist escapechar ipqos rekeylimit
streamlocalbindmask syslogfacility proxyjump proxycommand hostkeyalias remotecommand localforward
remoteforward dynamicforward certificatefile setenv sendenv identityagent controlpath bindaddress
bindinterface localcommand pkcs11provider revokedhostkeys knownhostscommand preferredauthentications
ignoreunknown kbdinteractivedevices hostbasedauthentication smartcarddevice
moshtransport moshfallback moshserver`)

// IsMoshKeyword reports whether key (lower case) is one of ssh-mosh's own
// options (MoshTransport, MoshFallback, MoshServer). OpenSSH does not know
// them: a config file that sets them needs `IgnoreUnknown Mosh*` for ssh,
// and -o forms of them are never passed to ssh.
func IsMoshKeyword(key string) bool { return strings.HasPrefix(strings.ToLower(key), "mosh") }

func toSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

func (s *settings) first(key string) (setting, bool) {
	v := s.vals[key]
	if len(v) == 0 {
		return setting{}, false
	}
	return v[0], true
}

func (s *settings) has(key string) bool { return len(s.vals[key]) > 0 }

// apply records one keyword line with ssh's precedence rules.
func (s *settings) apply(key, value, where string) {
	if a, ok := keywordAliases[key]; ok {
		key = a
	}
	switch {
	case multiKeywords[key]:
		s.vals[key] = append(s.vals[key], setting{value, where})
	case key == "proxyjump" || key == "proxycommand":
		// The first of ProxyJump and ProxyCommand wins; the other is
		// ignored, as in ssh.
		if !s.has("proxyjump") && !s.has("proxycommand") {
			s.vals[key] = []setting{{value, where}}
		}
	case !s.has(key):
		s.vals[key] = []setting{{value, where}}
	}
}

// maxIncludeDepth is OpenSSH's READCONF_MAX_DEPTH.
const maxIncludeDepth = 16

// maxConfigFiles bounds the files one resolution reads. Depth alone does
// not: three files that each Include all three are 3^16 reads deep down.
const maxConfigFiles = 1024

// evalNative evaluates the command line and config files for dest.
func (r *Resolver) evalNative(cl *CommandLine, dest destination) (*settings, error) {
	s := newSettings()
	applyFlags := func(flags []flagArg) error {
		for _, f := range flags {
			if err := r.applyFlag(s, f); err != nil {
				return err
			}
		}
		return nil
	}
	if err := applyFlags(cl.beforeDest()); err != nil {
		return nil, err
	}
	if dest.user != "" {
		s.apply("user", dest.user, "destination")
	}
	if dest.port != 0 {
		s.apply("port", fmt.Sprint(dest.port), "destination")
	}
	if err := applyFlags(cl.afterDest()); err != nil {
		return nil, err
	}
	applyAlgorithmFlags(s, cl)
	// -4 and -6 override AddressFamily however it was set.
	for _, f := range cl.flags {
		if f.letter == '4' || f.letter == '6' {
			fam := map[byte]string{'4': "inet", '6': "inet6"}[f.letter]
			s.vals["addressfamily"] = []setting{{fam, "command line"}}
		}
	}
	var files []string
	userConf := true
	configFile := cl.last('F')
	switch {
	case configFile == "none":
	case configFile != "":
		if _, err := r.files().Stat(configFile); err != nil {
			// ssh: "Can't open user config file %s: %s" (strerror).
			return nil, fmt.Errorf("cannot open config file %s: %s", configFile, vis.Strerror(err))
		}
		files = []string{configFile}
	default:
		files = []string{filepath.Join(r.Home, ".ssh", "config"), r.SystemConfig}
	}
	for i, f := range files {
		if configFile == "" {
			if _, err := r.files().Stat(f); errors.Is(err, os.ErrNotExist) {
				continue
			}
			userConf = i == 0
		}
		if err := r.evalFile(s, f, dest.host, userConf, 0); err != nil {
			return nil, err
		}
	}
	if v, ok := s.first("canonicalizehostname"); ok && !strings.EqualFold(v.value, "no") && !strings.EqualFold(v.value, "false") {
		return nil, &needsSSHError{v.where, "CanonicalizeHostname needs OpenSSH"}
	}
	return s, nil
}

// applyFlag applies one command-line flag that takes part in resolution.
func (r *Resolver) applyFlag(s *settings, f flagArg) error {
	const where = "command line"
	switch f.letter {
	case 'o':
		key, val := SplitOption(f.value)
		if key == "host" || key == "match" || key == "include" || !nativeKeywords[key] {
			return &needsSSHError{where, fmt.Sprintf("-o %s needs OpenSSH", key)}
		}
		s.apply(key, val, where)
	case 'p':
		s.apply("port", f.value, where)
	case 'l':
		s.apply("user", f.value, where)
	case 'J':
		s.apply("proxyjump", f.value, where)
	case 'e':
		// ssh's -e sets the escape character over any -o EscapeChar,
		// wherever it stands; the last -e wins.
		s.vals["escapechar"] = []setting{{f.value, where}}
	case 'S':
		// So does -S the control socket, over -o ControlPath.
		s.vals["controlpath"] = []setting{{f.value, where}}
	case 'i':
		// ssh drops an -i file it cannot stat, with a warning
		// (Config.Warnings).
		if p, err := r.identityFile(f.value); err == nil {
			s.apply("identityfile", p, where)
		}
	}
	return nil
}

// evalFile parses one file and applies the lines that match host.
func (r *Resolver) evalFile(s *settings, path, host string, userConf bool, depth int) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: too many nested Include directives (loop?): check its Include lines", path)
	}
	if s.filesRead++; s.filesRead > maxConfigFiles {
		return fmt.Errorf("%s: more than %d config files read (Include loop?): check its Include lines", path, maxConfigFiles)
	}
	data, err := r.files().ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	if where, ok := findMatchLine(data, path); ok {
		return &needsSSHError{where, "Match is evaluated by OpenSSH"}
	}
	cfg, err := sshconfig.DecodeBytes(data)
	if err != nil {
		return &needsSSHError{path, fmt.Sprintf("cannot parse: %v", err)}
	}
	for i, h := range cfg.Hosts {
		active := i == 0 // the implicit "Host *" before the first Host line
		if i > 0 {
			var pats []string
			for _, p := range h.Patterns {
				pats = append(pats, p.String())
			}
			active = hostMatches(pats, host)
		}
		if !active {
			continue
		}
		for _, n := range h.Nodes {
			switch n := n.(type) {
			case *sshconfig.KV:
				where := fmt.Sprintf("%s:%d", path, n.Pos().Line)
				key := strings.ToLower(n.Key)
				if !nativeKeywords[key] && keywordAliases[key] == "" {
					return &needsSSHError{where, fmt.Sprintf("keyword %s is evaluated by OpenSSH", n.Key)}
				}
				s.apply(key, n.Value, where)
			case *sshconfig.Include:
				if err := r.evalInclude(s, n, path, host, userConf, depth); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// evalInclude applies an Include line: relative names are under ~/.ssh for
// user files and /etc/ssh for the system file; globs expand sorted.
func (r *Resolver) evalInclude(s *settings, inc *sshconfig.Include, path, host string, userConf bool, depth int) error {
	fields := strings.Fields(strings.TrimSpace(inc.String()))
	for _, pat := range fields[1:] {
		pat = expandTilde(pat, r.Home)
		if !filepath.IsAbs(pat) {
			if userConf {
				pat = filepath.Join(r.Home, ".ssh", pat)
			} else {
				pat = filepath.Join("/etc/ssh", pat)
			}
		}
		matches, err := r.files().Glob(pat)
		if err != nil {
			return fmt.Errorf("%s:%d: Include %s: %w", path, inc.Pos().Line, pat, err)
		}
		sort.Strings(matches)
		for _, m := range matches {
			if err := r.evalFile(s, m, host, userConf, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// findMatchLine reports the first line whose keyword is Match.
func findMatchLine(data []byte, path string) (string, bool) {
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimLeft(line, " \t")
		if len(line) >= 5 && strings.EqualFold(line[:5], "match") && (len(line) == 5 || strings.ContainsRune(" \t=", rune(line[5]))) {
			return fmt.Sprintf("%s:%d", path, i+1), true
		}
	}
	return "", false
}

// hostMatches applies a Host line: some positive pattern must match and no
// negated one may.
func hostMatches(patterns []string, host string) bool {
	matched := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if wildMatch(p, host) {
			if neg {
				return false
			}
			matched = true
		}
	}
	return matched
}

// wildMatch matches s against a pattern where * is any run of characters
// and ? exactly one, as OpenSSH's match_pattern.
func wildMatch(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			starP, starI = p, i
			p++
		case starP >= 0:
			starI++
			p, i = starP+1, starI
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
