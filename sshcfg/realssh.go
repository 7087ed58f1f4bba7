package sshcfg

import (
	"errors"
	"os"
	"path/filepath"
)

// ErrNoOpenSSH is returned by FindRealSSH when no ssh other than ourselves is
// on PATH; the caller then runs the command in-process (RunCommand).
var ErrNoOpenSSH = errors.New("OpenSSH ssh not found in PATH")

// FindRealSSH returns OpenSSH's ssh from PATH, skipping any candidate that is
// the same file as self (ssh-mosh installed or symlinked as "ssh"). Files are
// compared by device and inode after following symlinks.
func FindRealSSH(self string) (string, error) {
	return findRealSSH(self, os.Getenv("PATH"))
}

func findRealSSH(self, pathEnv string) (string, error) {
	selfInfo, selfErr := os.Stat(self)
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		cand := filepath.Join(dir, "ssh")
		info, err := os.Stat(cand)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			continue
		}
		if selfErr == nil && os.SameFile(info, selfInfo) {
			continue
		}
		if abs, err := filepath.Abs(cand); err == nil {
			cand = abs
		}
		return cand, nil
	}
	return "", ErrNoOpenSSH
}
