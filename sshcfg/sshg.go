package sshcfg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/vis"
)

// sshGTimeout bounds `ssh -G`, which only reads files (and runs Match exec
// commands, which may hang).
const sshGTimeout = 10 * time.Second

// sshGArgs returns the arguments that make `ssh -G` resolve what Resolve
// resolves: the same -F/-o/-p/-l/-J/-i/-4/-6 in the same order.
//
// The destination stands where it stood on our command line, since ssh
// keeps the first user and port it reads; it never starts with '-'
// (parseDestination), so it cannot be read as a flag.
func sshGArgs(cl *CommandLine, destination string) []string {
	flags := func(args []string, fl []flagArg) []string {
		for _, f := range fl {
			if strings.IndexByte("oplJiF46eS", f.letter) < 0 {
				continue // -c and -m apply afterwards; -q and -v only set the log level
			}
			if key, _ := SplitOption(f.value); f.letter == 'o' && IsMoshKeyword(key) {
				continue // ours; ssh -G would reject it
			}
			switch f.letter {
			case '4', '6':
				args = append(args, "-"+string(f.letter))
			default:
				args = append(args, "-"+string(f.letter), f.value)
			}
		}
		return args
	}
	args := flags([]string{"-G"}, cl.beforeDest())
	if len(cl.afterDest()) == 0 {
		return append(args, "--", destination)
	}
	return flags(append(args, destination), cl.afterDest())
}

// evalSSHG asks OpenSSH for the final configuration.
func (r *Resolver) evalSSHG(cl *CommandLine, destination string) (*settings, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sshGTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.SSH, sshGArgs(cl, destination)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// OpenSSH's own words (a bad line in a config file, a bad -o)
		// are what ssh would print, in lines ended by "\r\n": one line
		// here. Without them, say what failed.
		if msg := vis.OneLine(stderr.String()); msg != "" {
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("ssh -G %s: %w", destination, err)
	}
	s := parseSSHG(stdout.String())
	applyAlgorithmFlags(s, cl) // not passed to ssh -G
	// ssh -G does not report ssh-mosh's own keywords (a config that sets
	// them has IgnoreUnknown for them); the command line's -o still apply.
	for _, f := range cl.flags {
		if key, val := SplitOption(f.value); f.letter == 'o' && IsMoshKeyword(key) {
			s.apply(key, val, "command line")
		}
	}
	return s, nil
}

// parseSSHG reads `ssh -G` output: one "keyword value" per line, keywords
// lower case, repeated for multi-valued keywords.
func parseSSHG(out string) *settings {
	s := newSettings()
	for _, line := range strings.Split(out, "\n") {
		key, val, _ := strings.Cut(strings.TrimSpace(line), " ")
		if key == "" {
			continue
		}
		key = strings.ToLower(key)
		s.vals[key] = append(s.vals[key], setting{val, "ssh -G"})
	}
	return s
}
