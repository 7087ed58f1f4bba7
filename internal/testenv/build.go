package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// builds caches the binaries built by this test process, one per package.
var builds struct {
	sync.Mutex
	dir  string
	bins map[string]string
}

// GoBuild builds one of this module's commands (e.g. "./cmd/mosh-server")
// once per test process and returns the binary's path. name is the file
// name the binary gets (argv[0] matters to ssh-mosh: "mosh-client").
func GoBuild(t testing.TB, pkg, name string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	key := pkg + " " + name
	if p, ok := builds.bins[key]; ok {
		return p
	}
	if builds.dir == "" {
		// Not t.TempDir: the binary outlives the test that built it.
		d, err := os.MkdirTemp("", "ssh-mosh-bin-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir = d
		builds.bins = map[string]string{}
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("finding the module root: %v", err)
	}
	dir := filepath.Join(builds.dir, strings.NewReplacer("/", "_", ".", "_").Replace(pkg))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	builds.bins[key] = out
	return out
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}
