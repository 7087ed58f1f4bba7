// Package overlay owns what the client draws over the server's screen before
// showing it: the notification bar (connection trouble, escape-key help),
// the "[mosh] " title prefix, and local-echo predictions. It follows mosh
// 1.4's src/frontend/terminaloverlay.{h,cc}.
//
// Like the rest of term it does no I/O and reads no clock: every method that
// depends on time takes now, so the rules are tested with a fake clock.
package overlay
