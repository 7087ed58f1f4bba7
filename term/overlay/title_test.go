package overlay

import (
	"testing"

	"github.com/ssh-mosh/ssh-mosh/term"
)

func TestPrefixTitle(t *testing.T) {
	fb := term.NewFramebuffer(10, 2)
	PrefixTitle(fb, "[mosh] ")
	if fb.TitleSet() || fb.Title() != "" {
		t.Errorf("a screen without a title got %q", fb.Title())
	}
	fb.SetTitle("vim", "vim")
	PrefixTitle(fb, "[mosh] ")
	if fb.Title() != "[mosh] vim" || fb.IconName() != "[mosh] vim" {
		t.Errorf("same icon and title: %q / %q", fb.IconName(), fb.Title())
	}
	fb.SetTitle("icon", "title")
	PrefixTitle(fb, "[mosh] ")
	if fb.Title() != "[mosh] title" || fb.IconName() != "icon" {
		t.Errorf("different icon and title: %q / %q", fb.IconName(), fb.Title())
	}
}
