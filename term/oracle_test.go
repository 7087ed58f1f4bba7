package term

import (
	"os"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/term/internal/glibc"
)

// mustHaveGlibc skips a test when the glibc oracle is unavailable, and
// fails it under CI, where it must be.
func mustHaveGlibc(t testing.TB) {
	t.Helper()
	if err := glibc.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("glibc oracle unavailable under CI: %v (needs cgo, gcc and the C.UTF-8 locale)", err)
		}
		t.Skipf("skipping test: %v", err)
	}
}
