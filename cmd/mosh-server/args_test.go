package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		ssh  string
		want options
		err  bool
	}{
		{name: "default", args: []string{"new"}, want: options{portLow: 60001, portHigh: 60999}},
		{name: "mosh.pl form", args: []string{"new", "-c", "256", "-s", "-l", "LANG=en_US.UTF-8", "-l", "LC_ALL=C.UTF-8"},
			ssh:  "10.0.0.1 5555 10.0.0.2 22",
			want: options{colors: 256, ip: "10.0.0.2", sshIP: true, localeVars: []string{"LANG=en_US.UTF-8", "LC_ALL=C.UTF-8"}, portLow: 60001, portHigh: 60999}},
		{name: "mapped", args: []string{"new", "-s"}, ssh: "::ffff:1.2.3.4 1 ::ffff:5.6.7.8 22",
			want: options{ip: "5.6.7.8", sshIP: true, portLow: 60001, portHigh: 60999}},
		{name: "no ssh conn", args: []string{"new", "-s"},
			want: options{sshIP: true, portLow: 60001, portHigh: 60999, warnings: []string{"Warning: SSH_CONNECTION not found; binding to any interface."}}},
		{name: "clustered and attached", args: []string{"new", "-vvi127.0.0.1", "-p60010:60020"},
			want: options{verbose: 2, ip: "127.0.0.1", ipGiven: true, portGiven: true, port: "60010:60020", portLow: 60010, portHigh: 60020}},
		{name: "command", args: []string{"new", "-p", "0", "--", "/bin/sh", "-c", "echo hi"},
			want: options{portGiven: true, port: "0", portLow: 0, portHigh: 0, command: []string{"/bin/sh", "-c", "echo hi"}}},
		{name: "trailing dashes", args: []string{"new", "--"}, want: options{portLow: 60001, portHigh: 60999}},
		{name: "eat", args: []string{"new", "-@", "new", "-c", "8"}, want: options{colors: 8, portLow: 60001, portHigh: 60999}},
		{name: "unknown option is not fatal", args: []string{"new", "-x"},
			want: options{portLow: 60001, portHigh: 60999, warnings: []string{"new: invalid option -- 'x'"}, badOption: true}},
		{name: "legacy ip port", args: []string{"127.0.0.1", "60005"},
			want: options{ip: "127.0.0.1", ipGiven: true, portGiven: true, port: "60005", portLow: 60005, portHigh: 60005}},
		{name: "help anywhere", args: []string{"new", "-v", "--help"}, want: options{help: true}},
		{name: "version", args: []string{"--version"}, want: options{version: true}},
		{name: "bad range", args: []string{"new", "-p", "70000"}, err: true},
		{name: "empty port is any port", args: []string{"new", "-p", ""}, want: options{portGiven: true, portLow: 0, portHigh: 0}},
		{name: "strtol blanks and sign", args: []string{"new", "-p", " +7"}, want: options{portGiven: true, port: " +7", portLow: 7, portHigh: 7}},
		{name: "empty high port is 0", args: []string{"new", "-p", "5:"}, err: true},
		{name: "negative", args: []string{"new", "-p", "-5"}, err: true},
		{name: "bad high", args: []string{"new", "-p", "5:x"}, err: true},
		{name: "huge", args: []string{"new", "-p", "99999999999999999999"}, err: true},
		{name: "missing argument", args: []string{"new", "-p"},
			want: options{portLow: 60001, portHigh: 60999, warnings: []string{"new: option requires an argument -- 'p'"}, badOption: true}},
		{name: "reversed range", args: []string{"new", "-p", "60010:60001"}, err: true},
		{name: "zero low in range", args: []string{"new", "-p", "0:10"}, err: true},
		{name: "bad colors", args: []string{"new", "-c", "many"}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseArgs(tt.args, tt.ssh)
			if tt.err {
				if err == nil {
					t.Fatalf("parseArgs(%q) = %+v, want error", tt.args, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got, cmp.AllowUnexported(options{})); diff != "" {
				t.Errorf("parseArgs(%q) mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}
