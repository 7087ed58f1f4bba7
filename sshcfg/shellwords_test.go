package sshcfg

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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

func TestSplitShellWords(t *testing.T) {
	tests := map[string][]string{
		`ssh -p 2022`:          {"ssh", "-p", "2022"},
		`ssh -o 'User=a b'`:    {"ssh", "-o", "User=a b"},
		`a "b \"c\" \$d" e\ f`: {"a", `b "c" $d`, "e f"},
		`  lead  trail  `:      {"lead", "trail"},
		`'it'\''s'`:            {"it's"},
		`""`:                   {""},
		`"a\nb"`:               {`a\nb`},
	}
	for in, want := range tests {
		got, err := SplitShellWords(in)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("SplitShellWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
