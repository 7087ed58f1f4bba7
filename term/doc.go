// Package term is ssh-mosh's terminal model, with the semantics of mosh 1.4's
// src/terminal: a UTF-8 decoder and DEC/ANSI parser (parser.go), a
// framebuffer of cells with cursor, modes, title and clipboard
// (framebuffer.go, cell.go, drawstate.go), the emulator that applies parsed
// control functions to it (emulator*.go), glibc-compatible character widths
// (width.go) and the translation of keystrokes for the application
// (userinput.go). It does no I/O: bytes in, framebuffer out.
//
// The replica of the screen a mosh client keeps is produced by feeding the
// server's diff strings through this same emulator, so every behaviour here
// must match mosh cell for cell, quirks included; comments name the mosh
// function each piece mirrors.
//
// References: mosh (github.com/mobile-shell/mosh, tag mosh-1.4.0,
// src/terminal/*), the DEC parser state diagram by Paul Flo Williams
// (vt100.net/emu/dec_ansi_parser), ECMA-48, xterm's ctlseqs.
//
// # Limitations
//
// Like mosh: a single screen (no alternate screen, DEC modes 47/1047/1049
// are ignored), no scrollback, no character sets (ESC ( and friends have no
// effect), DCS/SOS/PM/APC strings are discarded, OSC numbers other than
// 0, 1, 2 and 52 are ignored. Unlike mosh, OSC 52 is kept only for a
// clipboard write of base64: a query never reaches the user's terminal
// (clipboard.go).
package term
