package sshcfg

import (
	"strings"
	"testing"
)

// parse reads args the way ssh reads the options before the destination,
// for the resolution flags only, each value a separate word (-p 22): a
// test's command line, not the real parser (that is cmd/ssh-mosh's). The
// destination and what follows are returned as they are.
func parse(t *testing.T, args ...string) (*CommandLine, []string) {
	t.Helper()
	var cl CommandLine
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) == 2 {
		letter := args[0][1]
		if strings.IndexByte(ResolutionFlags, letter) < 0 {
			t.Fatalf("parse: %s is not a resolution flag", args[0])
		}
		value := ""
		if strings.IndexByte("46qv", letter) < 0 {
			if len(args) < 2 {
				t.Fatalf("parse: %s without a value", args[0])
			}
			value, args = args[1], args[1:]
		}
		if err := cl.Add(letter, value); err != nil {
			t.Fatalf("parse: %s %s: %v", args[0], value, err)
		}
		args = args[1:]
	}
	return &cl, args
}

// TestCommandLineOrder: -F, -l, -c and -m keep the last value, -q and -v
// count, -o keeps every value in order, and MarkDestination splits the flags
// where the destination stood; flags that are not resolution's are ignored
// and a bad -p is refused.
func TestCommandLineOrder(t *testing.T) {
	var cl CommandLine
	for _, f := range []struct {
		letter byte
		value  string
	}{{'F', "a"}, {'l', "x"}, {'o', "User=u"}, {'v', ""}, {'L', "1:h:2"}, {'A', ""}, {'F', "b"}, {'c', "aes128-ctr"}} {
		if err := cl.Add(f.letter, f.value); err != nil {
			t.Fatal(err)
		}
	}
	cl.MarkDestination()
	_ = cl.Add('l', "y")
	_ = cl.Add('o', "Port=2")
	_ = cl.Add('v', "")
	if got := cl.last('F'); got != "b" {
		t.Errorf("-F: %q", got)
	}
	if got := cl.last('l'); got != "y" {
		t.Errorf("-l: %q", got)
	}
	if got := cl.count('v'); got != 2 {
		t.Errorf("-v count %d", got)
	}
	if got := cl.options(); strings.Join(got, ",") != "User=u,Port=2" {
		t.Errorf("-o: %q", got)
	}
	if len(cl.beforeDest()) != 6 || len(cl.afterDest()) != 3 {
		t.Errorf("split %d/%d, want 6/3", len(cl.beforeDest()), len(cl.afterDest()))
	}
	if err := cl.Add('p', "65536"); err == nil {
		t.Error("-p 65536 accepted")
	}
	var none CommandLine
	_ = none.Add('p', "22")
	if len(none.beforeDest()) != 1 || len(none.afterDest()) != 0 {
		t.Error("without MarkDestination every flag is before the destination")
	}
}
