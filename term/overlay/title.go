package overlay

import "github.com/ssh-mosh/ssh-mosh/term"

// PrefixTitle puts prefix ("[mosh] ") before the window title of fb, and
// before the icon name too when the two are the same, as mosh's TitleEngine
// (Framebuffer::prefix_window_title). A screen that never set a title is
// left alone.
func PrefixTitle(fb *term.Framebuffer, prefix string) {
	if !fb.TitleSet() {
		return
	}
	icon, title := fb.IconName(), fb.Title()
	if icon == title {
		fb.SetTitle(prefix+icon, prefix+title)
	} else {
		fb.SetTitle(icon, prefix+title)
	}
}
