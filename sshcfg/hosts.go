package sshcfg

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// HostSources are the files shell completion takes host names from, as
// bash-completion's ssh completion does: the Host lines of the ssh_config
// files (following Include) and the unhashed names of known_hosts files.
type HostSources struct {
	// Home is the user's home directory (~ and ~/.ssh/config).
	Home string
	// SystemConfig is /etc/ssh/ssh_config; "" reads none.
	SystemConfig string
	// KnownHosts are read besides those the configs name with
	// UserKnownHostsFile and GlobalKnownHostsFile.
	KnownHosts []string
}

// DefaultHostSources are OpenSSH's default files for a user whose home is
// home.
func DefaultHostSources(home string) HostSources {
	return HostSources{
		Home:         home,
		SystemConfig: "/etc/ssh/ssh_config",
		KnownHosts: []string{
			filepath.Join(home, ".ssh", "known_hosts"), filepath.Join(home, ".ssh", "known_hosts2"),
			"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2",
		},
	}
}

// CompletionHosts returns the host names to complete, sorted and without
// duplicates. Missing or unreadable files are skipped: completion offers
// what it can read and never fails.
//
// The config files are scanned line by line rather than parsed with
// kevinburke/ssh_config (which configfile.go uses to evaluate them): that
// parser rejects a whole file for one line it does not support (Match
// exec), and completion should still offer the Host names of such a file.
func CompletionHosts(src HostSources) []string {
	seen := map[string]bool{}
	var known []string
	add := func(names []string) {
		for _, n := range names {
			seen[n] = true
		}
	}
	files := []string{filepath.Join(src.Home, ".ssh", "config")}
	if src.SystemConfig != "" {
		files = append(files, src.SystemConfig)
	}
	for i, f := range files {
		sc := configScan{home: src.Home, userConf: i == 0}
		sc.file(f, 0)
		add(sc.hosts)
		known = append(known, sc.knownHosts...)
	}
	for _, f := range append(slices.Clone(src.KnownHosts), known...) {
		if data, err := os.ReadFile(f); err == nil {
			add(KnownHostsNames(data))
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// configScan collects Host names and known_hosts file names from ssh_config
// files.
type configScan struct {
	home       string
	userConf   bool // relative Include names are under ~/.ssh, else /etc/ssh
	hosts      []string
	knownHosts []string
}

func (c *configScan) file(path string, depth int) {
	if depth > maxIncludeDepth {
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	hosts, includes, known := ScanConfigHosts(data)
	c.hosts = append(c.hosts, hosts...)
	for _, k := range known {
		if strings.EqualFold(k, "none") || strings.Contains(k, "%") {
			continue
		}
		c.knownHosts = append(c.knownHosts, expandTilde(k, c.home))
	}
	for _, pat := range includes {
		pat = expandTilde(pat, c.home)
		if !filepath.IsAbs(pat) {
			if c.userConf {
				pat = filepath.Join(c.home, ".ssh", pat)
			} else {
				pat = filepath.Join("/etc/ssh", pat)
			}
		}
		matches, _ := filepath.Glob(pat)
		sort.Strings(matches)
		for _, m := range matches {
			c.file(m, depth+1)
		}
	}
}

// ScanConfigHosts reads the lines of one ssh_config file that completion
// needs: the Host names without wildcards or negation, the Include
// arguments (unexpanded), and the files UserKnownHostsFile and
// GlobalKnownHostsFile name. Keywords are case-insensitive and separated
// from their arguments by blanks or one "=", as ssh reads them.
func ScanConfigHosts(data []byte) (hosts, includes, knownHosts []string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, args := configLine(sc.Text())
		switch key {
		case "host":
			for _, a := range args {
				if plainHostName(a) {
					hosts = append(hosts, a)
				}
			}
		case "include":
			includes = append(includes, args...)
		case "userknownhostsfile", "globalknownhostsfile":
			knownHosts = append(knownHosts, args...)
		}
	}
	return hosts, includes, knownHosts
}

// configLine splits one ssh_config line into its lower-case keyword and
// its arguments (quotes, double or single, group blanks, as ssh's
// argv_split); comments and blank lines give "".
func configLine(line string) (key string, args []string) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return strings.ToLower(line), nil
	}
	key, rest := strings.ToLower(line[:end]), strings.TrimLeft(line[end:], " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	var cur strings.Builder
	var quote byte
	have := false
	// Bytes, not runes: a name is passed on as written, valid UTF-8 or not.
	for i := 0; i < len(rest); i++ {
		r := rest[i]
		inQuote := quote != 0
		switch {
		case inQuote && r == quote:
			quote = 0
		case (r == '"' || r == '\'') && !inQuote:
			quote, have = r, true
		case (r == ' ' || r == '\t') && !inQuote:
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		case r == '#' && !inQuote && !have:
			// A comment after the arguments.
			return key, args
		default:
			cur.WriteByte(r)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	return key, args
}

// KnownHostsNames returns the host names of known_hosts data that can be
// completed: hashed names (|1|…) are unreadable by design, patterns are
// not names, @revoked lines name no trusted host, and [host]:port is the
// host.
func KnownHostsNames(data []byte) []string {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if strings.HasPrefix(f[0], "@") {
			if f[0] == "@revoked" || len(f) < 2 {
				continue
			}
			f = f[1:]
		}
		for _, h := range strings.Split(f[0], ",") {
			if strings.HasPrefix(h, "[") {
				if end := strings.Index(h, "]"); end > 0 {
					h = h[1:end]
				}
			}
			if plainHostName(h) {
				names = append(names, h)
			}
		}
	}
	return names
}

// plainHostName reports whether s can be typed as a destination: not a
// pattern, not hashed, nothing a shell or ssh would read otherwise.
func plainHostName(s string) bool {
	if s == "" || s[0] == '-' || s[0] == '|' || s[0] == '!' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return false
		}
	}
	return !strings.ContainsAny(s, "*?[]@ \"'\\$`;&|<>()%,")
}
