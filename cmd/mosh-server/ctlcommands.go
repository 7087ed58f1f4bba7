package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The sub-commands ssh-mosh runs over SSH to reach running sessions
// through their control sockets (control.go). Like relayCommand, none of
// the words can be read as mosh's own command line, where `new`, an
// option or an IP address comes first.
const (
	sessionsCommand = "sessions" // mosh-server sessions
	attachCommand   = "attach"   // mosh-server attach [ID]
	killCommand     = "kill"     // mosh-server kill ID
)

// ctlCommand runs one of them; ok is false when args name none.
func ctlCommand(args []string, stdout, stderr io.Writer) (status int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	dirs := controlDirs(os.Getenv, os.Getuid())
	switch args[0] {
	case sessionsCommand:
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: mosh-server sessions")
			return 2, true
		}
		printSessions(stdout, listSessions(dirs, 0))
		return 0, true
	case attachCommand:
		if len(args) > 2 {
			fmt.Fprintln(stderr, "usage: mosh-server attach [ID]")
			return 2, true
		}
		id := ""
		if len(args) == 2 {
			id = args[1]
		}
		return attach(dirs, id, stdout, stderr), true
	case killCommand:
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: mosh-server kill ID")
			return 2, true
		}
		return kill(dirs, args[1], stdout, stderr), true
	}
	return 0, false
}

// sessionsHeader starts the listing; each line after it is one session,
// tab-separated, the command last (it may hold blanks).
const sessionsHeader = "ID\tSTATE\tSTARTED\tLAST-CONTACT\tSIZE\tCOMMAND"

func printSessions(w io.Writer, ss []sessionLine) {
	fmt.Fprintln(w, sessionsHeader)
	for _, s := range ss {
		fmt.Fprintln(w, formatSession(s))
	}
}

// formatSession is one line of the listing; times are RFC 3339 UTC, "-"
// for a session no client reached yet.
func formatSession(s sessionLine) string {
	state := "detached"
	if s.Attached {
		state = "attached"
	}
	last := "-"
	if !s.LastContact.IsZero() && s.LastContact.Year() > 1 {
		last = s.LastContact.UTC().Format(time.RFC3339)
	}
	cmd := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s.Command)
	return fmt.Sprintf("%d\t%s\t%s\t%s\t%dx%d\t%s", s.ID, state, s.Started.UTC().Format(time.RFC3339), last, s.Width, s.Height, cmd)
}

// sessionSockets are the control sockets in dirs by ID (the first
// directory wins). A directory that is not private is skipped: its
// sockets may not be ours.
func sessionSockets(dirs []string) map[int]string {
	socks := map[int]string{}
	for _, dir := range dirs {
		if checkPrivateDir(dir, os.Getuid()) != nil {
			continue
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name, ok := strings.CutSuffix(e.Name(), ".sock")
			if !ok || e.Type()&os.ModeSocket == 0 {
				continue
			}
			id, err := strconv.Atoi(name)
			if err != nil || id <= 0 {
				continue
			}
			if _, seen := socks[id]; !seen {
				socks[id] = filepath.Join(dir, e.Name())
			}
		}
	}
	return socks
}

// ask sends one request to the socket at path and returns the answer's
// lines.
func ask(path, req string) ([]string, error) {
	c, err := net.DialTimeout("unix", path, controlTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(controlTimeout))
	if _, err := fmt.Fprintf(c, "%s\n", req); err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		l := sc.Text()
		if msg, ok := strings.CutPrefix(l, "ERROR "); ok {
			return nil, errors.New(msg)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, errors.New("no answer")
	}
	return lines, nil
}

// parseSessionLine decodes a control socket's info answer.
func parseSessionLine(b []byte) (sessionLine, error) {
	var s sessionLine
	if err := json.Unmarshal(b, &s); err != nil {
		return sessionLine{}, fmt.Errorf("bad session description: %w", err)
	}
	if s.ID <= 0 || s.Width < 0 || s.Height < 0 {
		return sessionLine{}, errors.New("bad session description")
	}
	return s, nil
}

// listSessions asks every socket but skip's (0: none); those that do not
// answer (a server that died without removing its file) are removed when
// nothing listens.
func listSessions(dirs []string, skip int) []sessionLine {
	var out []sessionLine
	for id, path := range sessionSockets(dirs) {
		if id == skip {
			continue
		}
		lines, err := ask(path, reqInfo)
		if err != nil {
			removeStale(path)
			continue
		}
		s, err := parseSessionLine([]byte(lines[0]))
		if err != nil || s.ID != id {
			continue
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// removeStale removes a socket file nothing listens on, under the
// directory's lock.
func removeStale(path string) {
	unlock, err := lockDir(filepath.Dir(path))
	if err != nil {
		return
	}
	defer unlock()
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 && !answers(path) {
		_ = os.Remove(path)
	}
}

// attach takes session id over (any state), or the one detached session
// when id is "", and prints the new MOSH CONNECT line.
func attach(dirs []string, id string, stdout, stderr io.Writer) int {
	socks := sessionSockets(dirs)
	var path string
	if id == "" {
		var detached []sessionLine
		for _, s := range listSessions(dirs, 0) {
			if !s.Attached {
				detached = append(detached, s)
			}
		}
		switch len(detached) {
		case 0:
			fmt.Fprintln(stderr, "mosh-server: no detached session to attach to")
			return 1
		case 1:
			path = socks[detached[0].ID]
		default:
			fmt.Fprintln(stderr, "mosh-server: several detached sessions; name one: mosh-server attach ID")
			printSessions(stderr, detached)
			return 1
		}
	} else {
		n, err := strconv.Atoi(id)
		if err != nil || socks[n] == "" {
			fmt.Fprintf(stderr, "mosh-server: no session %s\n", id)
			return 1
		}
		path = socks[n]
	}
	lines, err := ask(path, reqTakeover)
	if err != nil {
		fmt.Fprintf(stderr, "mosh-server: attach: %v\n", err)
		return 1
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return 0
}

// kill ends session id as SIGTERM does.
func kill(dirs []string, id string, stdout, stderr io.Writer) int {
	n, err := strconv.Atoi(id)
	path := sessionSockets(dirs)[n]
	if err != nil || path == "" {
		fmt.Fprintf(stderr, "mosh-server: no session %s\n", id)
		return 1
	}
	if _, err := ask(path, reqKill); err != nil {
		fmt.Fprintf(stderr, "mosh-server: kill: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "killed %d\n", n)
	return 0
}

// detachedNotice is what a new login session shows after the motd when
// the user has detached sessions on this server, as mosh-server reminds
// of them (in its colours): the way back into one ("" when there is none).
func detachedNotice(ss []sessionLine) string {
	var ids []string
	for _, s := range ss {
		if !s.Attached {
			ids = append(ids, strconv.Itoa(s.ID))
		}
	}
	var msg string
	switch len(ids) {
	case 0:
		return ""
	case 1:
		msg = fmt.Sprintf("You have a detached session on this server (ID %s): `ssh-mosh --attach=%s HOST` takes it over.", ids[0], ids[0])
	default:
		msg = fmt.Sprintf("You have %d detached sessions on this server (IDs %s): `ssh-mosh --attach=ID HOST` takes one over.",
			len(ids), strings.Join(ids, ", "))
	}
	return "\x1b[37;44m" + msg + "\x1b[m\n\n"
}
