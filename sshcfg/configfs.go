package sshcfg

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// ConfigFiles is where the native resolver reads ssh_config files and
// expands Include globs: the operating system's files unless a Resolver
// says otherwise (tests and fuzzing use an in-memory set, so no input can
// make them read this machine's files, and no run writes any).
type ConfigFiles interface {
	ReadFile(path string) ([]byte, error)
	// Stat is asked only whether path exists.
	Stat(path string) (fs.FileInfo, error)
	// Glob returns the paths matching pattern, as filepath.Glob.
	Glob(pattern string) ([]string, error)
}

type osFiles struct{}

func (osFiles) ReadFile(path string) ([]byte, error)  { return os.ReadFile(path) }
func (osFiles) Stat(path string) (fs.FileInfo, error) { return os.Stat(path) }
func (osFiles) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// files is r's ConfigFiles.
func (r *Resolver) files() ConfigFiles {
	if r.Files != nil {
		return r.Files
	}
	return osFiles{}
}

// MemFiles is an in-memory ConfigFiles: absolute path → content.
type MemFiles map[string][]byte

// ReadFile implements ConfigFiles.
func (m MemFiles) ReadFile(path string) ([]byte, error) {
	b, ok := m[filepath.Clean(path)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	return b, nil
}

// Stat implements ConfigFiles; only the error matters to its callers.
func (m MemFiles) Stat(path string) (fs.FileInfo, error) {
	if _, ok := m[filepath.Clean(path)]; !ok {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: fs.ErrNotExist}
	}
	return nil, nil
}

// Glob implements ConfigFiles with filepath.Match's syntax and errors.
func (m MemFiles) Glob(pattern string) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, err
	}
	var out []string
	for p := range m {
		if ok, _ := filepath.Match(pattern, p); ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}
