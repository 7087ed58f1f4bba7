// Package session is a mosh session on top of the protocol core: the two
// synchronized states and the two event loops that run them, one per side.
//
// It holds:
//   - the states (userstream.go, complete.go): userStream, the client's
//     keystrokes and resizes (mosh's UserStream), and complete, the
//     server's screen plus echo acknowledgement (mosh's
//     Terminal::Complete), with the exit-status extension ssh-mosh offers
//     (exitstatus.go). Both are roam.State values; roam.Transport
//     replicates them.
//   - the client (client.go, RunClient): the user's terminal in raw mode,
//     the escape key (escape.go), predictions and the notification bar
//     (package term/overlay), prompts asked in the bar (prompt.go), and the
//     last screen left in the terminal (lastscreen.go).
//   - the server (server.go, Serve): the program on a pty, the terminal
//     emulator (package term), the echo acknowledgement timer (echoack.go)
//     and mosh-server's exit rules (shutdown linger, network and no-client
//     timeouts, signals).
//   - tracing of a keystroke's way (trace.go, SSH_MOSH_TRACE).
//
// Both loops are configurations of one driver, roam.Pump: client and server
// are roam.App implementations (Step, Settle, NextWake, Sources, Handle),
// so the clock is read once per wake-up and the deadlines meet in
// roam.Earliest. The server's program sits behind the program interface
// (pty.go; ptyProgram is a child on a pty), which lets the server's and the
// client's rules run under testing/synctest (server_rules_test.go,
// client_rules_test.go).
//
// The datagram path is a seam: ClientConfig.Path and ServerConfig.Path
// take a roam.UDPClient or roam.UDPServer, or the SSH and multi-path
// routes of package datapath. The loops find a path's optional
// capabilities (roam.MTUPath, roam.HopPath, roam.RoamPath,
// roam.HeardPath, roam.WakePath, roam.DirectPath) by type assertion. The
// keys and the program's output reach the loop through a roam.Feed.
package session
