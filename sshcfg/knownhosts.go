package sshcfg

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsDB is the host key database as OpenSSH reads it: every known_hosts
// file that exists and can be read, where a line nobody here can parse (a key
// type x/crypto does not know such as ssh-ed448, a truncated write, bad
// base64, a stray marker) is skipped instead of failing the whole login.
// x/crypto's knownhosts refuses a file at its first bad line; OpenSSH logs
// such a line at debug level and reads on.
//
// knownhosts stays the parser and the matcher: a file with bad lines is
// handed to it as a private copy in which those lines are blank (so line
// numbers still match the user's file), and the copy's name is mapped back
// in everything that is reported.
type knownHostsDB struct {
	cb      ssh.HostKeyCallback // nil when no file has any line
	origin  map[string]string   // private copy → the user's file
	skipped []string            // "file:line: reason", for -v
	// caLines are the @cert-authority lines ("file:line"): knownhosts
	// lists them among a host's known keys, but they are CAs, not keys
	// the host may present.
	caLines map[string]bool
}

// maxKnownHostsSkips bounds the re-reads of one file: each finds one more bad
// line. A file with more bad lines than this is skipped whole.
const maxKnownHostsSkips = 1000

// loadKnownHosts reads files (missing ones are skipped, as ssh does).
func loadKnownHosts(files []string) (*knownHostsDB, error) {
	db := &knownHostsDB{origin: map[string]string{}, caLines: map[string]bool{}}
	var use, copies []string
	defer func() {
		for _, c := range copies {
			_ = os.Remove(c)
		}
	}()
	for _, f := range files {
		if f == "/dev/null" {
			continue
		}
		st, err := os.Stat(f)
		if err != nil || st.IsDir() {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			db.skipped = append(db.skipped, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		for n, line := range bytes.Split(data, []byte("\n")) {
			if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("@cert-authority")) {
				db.caLines[fmt.Sprintf("%s:%d", f, n+1)] = true
			}
		}
		if _, err := knownhosts.New(f); err == nil {
			use = append(use, f)
			continue
		}
		copyName, skipped, err := cleanKnownHostsCopy(f, data)
		if copyName != "" {
			copies = append(copies, copyName)
		}
		db.skipped = append(db.skipped, skipped...)
		if err != nil {
			db.skipped = append(db.skipped, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		db.origin[copyName] = f
		use = append(use, copyName)
	}
	if len(use) == 0 {
		return db, nil
	}
	cb, err := knownhosts.New(use...)
	if err != nil {
		return nil, fmt.Errorf("reading known hosts: %w", err)
	}
	db.cb = cb
	return db, nil
}

// cleanKnownHostsCopy writes data to a private temporary file and blanks the
// lines knownhosts refuses, one at a time, until it reads the rest. It
// returns the copy's name (to be removed by the caller) and what was skipped.
func cleanKnownHostsCopy(name string, data []byte) (copyName string, skipped []string, err error) {
	tmp, err := os.CreateTemp("", "ssh-mosh-known_hosts-*")
	if err != nil {
		return "", nil, fmt.Errorf("cannot make a private copy to skip its unreadable lines: %w", err)
	}
	copyName = tmp.Name()
	_ = tmp.Close()
	lines := bytes.Split(data, []byte("\n"))
	for range maxKnownHostsSkips {
		if err := os.WriteFile(copyName, bytes.Join(lines, []byte("\n")), 0o600); err != nil {
			return copyName, skipped, fmt.Errorf("cannot write a private copy to skip its unreadable lines: %w", err)
		}
		_, perr := knownhosts.New(copyName)
		if perr == nil {
			return copyName, skipped, nil
		}
		n, reason, ok := knownHostsErrorLine(perr, copyName)
		if !ok || n < 1 || n > len(lines) {
			return copyName, skipped, perr
		}
		skipped = append(skipped, fmt.Sprintf("%s:%d: %s", name, n, reason))
		lines[n-1] = nil
	}
	return copyName, skipped, errors.New("too many unreadable lines")
}

// knownHostsErrorLine finds the line number in knownhosts' parse error
// ("knownhosts: FILE:LINE: reason").
func knownHostsErrorLine(err error, file string) (line int, reason string, ok bool) {
	rest, ok := strings.CutPrefix(err.Error(), "knownhosts: "+file+":")
	if !ok {
		return 0, "", false
	}
	num, reason, ok := strings.Cut(rest, ": ")
	if !ok {
		return 0, "", false
	}
	n, convErr := strconv.Atoi(num)
	return n, reason, convErr == nil
}

// userFile maps a name knownhosts reported back to the user's file.
func (db *knownHostsDB) userFile(name string) string {
	if orig, ok := db.origin[name]; ok {
		return orig
	}
	return name
}

// isCA reports whether k comes from an @cert-authority line.
func (db *knownHostsDB) isCA(k knownhosts.KnownKey) bool {
	return db.caLines[fmt.Sprintf("%s:%d", db.userFile(k.Filename), k.Line)]
}
