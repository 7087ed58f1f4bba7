package sshcfg

import (
	"testing"

	"pgregory.net/rapid"
)

// ShellQuote then SplitShellWords is the identity: what we quote for the
// remote shell reads back as the same argument.
func TestShellQuoteRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		args := rapid.SliceOf(rapid.String()).Draw(t, "args")
		var line string
		for i, a := range args {
			if i > 0 {
				line += " "
			}
			line += ShellQuote(a)
		}
		got, err := SplitShellWords(line)
		if err != nil {
			t.Fatalf("split %q: %v", line, err)
		}
		if len(got) != len(args) {
			t.Fatalf("split %q = %q, want %q", line, got, args)
		}
		for i := range args {
			if got[i] != args[i] {
				t.Fatalf("split %q = %q, want %q", line, got, args)
			}
		}
	})
}
