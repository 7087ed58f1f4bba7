package term

// NewEmulatorFor returns an emulator that applies its input to fb itself.
// A mosh client keeps its replica of the server's screen this way: each
// HostBytes string is the difference from the state the replica already
// holds, so it is written to that framebuffer (usually a clone of the
// previous state), not to a fresh one.
func NewEmulatorFor(fb *Framebuffer) *Emulator {
	return &Emulator{fb: fb}
}
