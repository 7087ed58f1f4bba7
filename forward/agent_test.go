package forward

import "testing"

// The remote host's answer is checked before it becomes the shell's
// SSH_AUTH_SOCK: an absolute, clean path to "agent" in a directory of ours,
// the same one after every re-dial, with nothing a shell would expand.
func TestValidAgentPath(t *testing.T) {
	for _, c := range []struct {
		p, dir string
		ok     bool
	}{
		{"/tmp/ssh-mosh-agent.AbC123/agent", "", true},
		{"/home/u/tmp/ssh-mosh-agent.x/agent", "/home/u/tmp/ssh-mosh-agent.x", true},
		{"/tmp/ssh-mosh-agent.x/agent", "/tmp/ssh-mosh-agent.y", false},
		{"tmp/ssh-mosh-agent.x/agent", "", false},
		{"/tmp/../etc/ssh-mosh-agent.x/agent", "", false},
		{"/tmp/ssh-mosh-agent.x/other", "", false},
		{"/tmp/evil/agent", "", false},
		{"/tmp/ssh-mosh-agent.$(id)/agent", "", false},
		{"/tmp/ssh-mosh-agent.a b/agent", "", false},
		{"/tmp/ssh-mosh-agent.x\n/agent", "", false},
		{"", "", false},
	} {
		if err := validAgentPath(c.p, c.dir); (err == nil) != c.ok {
			t.Errorf("validAgentPath(%q, %q) = %v, want ok %v", c.p, c.dir, err, c.ok)
		}
	}
}

func FuzzValidAgentPath(f *testing.F) {
	f.Add("/tmp/ssh-mosh-agent.AbC123/agent")
	f.Add("/tmp/ssh-mosh-agent.x/../agent")
	f.Fuzz(func(t *testing.T, p string) {
		if validAgentPath(p, "") != nil {
			return
		}
		// What passes is safe inside single quotes and as a path.
		for _, r := range p {
			if r <= ' ' || r == '\'' || r == '$' || r == '`' || r == '\\' || r == '"' || r == 0x7f {
				t.Fatalf("accepted %q", p)
			}
		}
		if p[0] != '/' {
			t.Fatalf("accepted relative %q", p)
		}
	})
}
