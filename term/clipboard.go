package term

// OSC 52 filter. mosh 1.4 copies whatever follows "52;c;" into its
// framebuffer and sends it on to the user's terminal, so a remote program
// (or anything printed by one: a file, a log line) can send the query
// `ESC ] 52 ; c ; ? BEL`, which a terminal that allows clipboard reads
// answers with the user's local clipboard, typed into the remote session.
// Only writes pass here: data that is valid base64 (xterm's ctlseqs: a
// "?" asks, anything else that is not base64 clears the selection). The
// emulator keeps nothing else, and the display sends nothing else.

// validClipboard reports whether data, the part of an OSC 52 after "c;",
// is a clipboard write: base64 (standard alphabet), padded to a multiple of
// four with "=" or unpadded, possibly empty. A query ("?") or any other
// character is not. A string cut at the OSC length limit stays valid as
// long as what remains still decodes (unpadded).
func validClipboard[T rune | byte](data []T) bool {
	n := len(data)
	pad := 0
	for pad < 2 && pad < n && data[n-1-pad] == '=' {
		pad++
	}
	for _, c := range data[:n-pad] {
		if !isBase64Char(rune(c)) {
			return false
		}
	}
	if pad > 0 {
		return n%4 == 0
	}
	return n%4 != 1
}

func isBase64Char(c rune) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}
