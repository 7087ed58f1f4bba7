package main

import "testing"

// --scrollback=N (ours) is read among mosh's getopt options; without it
// the session keeps the default, and a bad value is an error naming the fix.
func TestParseArgsScrollback(t *testing.T) {
	for _, c := range []struct {
		args  []string
		want  int
		given bool
		err   bool
	}{
		{[]string{"new", "-s"}, 0, false, false},
		{[]string{"new", "--scrollback=0", "-v"}, 0, true, false},
		{[]string{"new", "-p", "60001", "--scrollback=500", "--", "sh"}, 500, true, false},
		{[]string{"new", "--scrollback=x"}, 0, false, true},
		{[]string{"new", "--scrollback=-3"}, 0, false, true},
	} {
		o, err := parseArgs(c.args, "1.2.3.4 5 6.7.8.9 22")
		if (err != nil) != c.err {
			t.Errorf("%q: err %v", c.args, err)
			continue
		}
		if err == nil && (o.scrollback != c.want || o.scrollbackGiven != c.given || o.badOption) {
			t.Errorf("%q: scrollback %d (bad option %v), want %d", c.args, o.scrollback, o.badOption, c.want)
		}
	}
}
