// Package sshcfg owns everything ssh-mosh does before the roaming session
// starts, and what it keeps beside it:
//
//   - what resolution takes from the command line (CommandLine: -o -p -l
//     -J -i -F -4 -6 -c -m -q -v in their order; the command line itself,
//     its flags and the choice between a mosh session and OpenSSH live in
//     cmd/ssh-mosh), and OpenSSH's ssh found on PATH (FindRealSSH);
//   - ssh_config resolution exactly as OpenSSH reads it (Resolve): the
//     files are parsed with github.com/kevinburke/ssh_config and evaluated
//     here with readconf.c's precedence, tokens and defaults; what this
//     package does not evaluate (Match, CanonicalizeHostname, unknown
//     keywords or tokens) is resolved by running `ssh -G`;
//   - the in-process SSH connection (Dial): agent, identity files with
//     passphrases, certificates, keyboard-interactive and password auth,
//     known_hosts checking and learning as OpenSSH does, ProxyJump chains
//     and ProxyCommand, and Redial with the host keys pinned;
//   - starting mosh-server on the remote in one command (StartServer), with
//     the client's locale forwarded as mosh does, and parsing MOSH CONNECT;
//   - plain-SSH fallbacks: an interactive shell over the SSH connection
//     (InteractiveShell) and a remote command (RunCommand) when no OpenSSH
//     ssh is installed.
//
// References: OpenSSH ssh(1), ssh_config(5) and readconf.c (9.2); mosh's
// scripts/mosh.pl and src/frontend/mosh-server.cc (1.4).
//
// # Limitations
//
// Without OpenSSH installed, configurations using Match or
// CanonicalizeHostname are refused (ErrNeedsOpenSSH). Security keys (sk-*),
// PKCS#11, GSSAPI, XMSS and control sockets are not used in-process;
// cmd/ssh-mosh sends the flags that need them to OpenSSH.
package sshcfg
