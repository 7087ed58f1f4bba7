package proc

import (
	"os"
	"os/signal"
	"syscall"
)

// SuspendGroup stops this process's group, as a terminal client suspends
// itself for its shell's job control (mosh-client: kill(0, SIGSTOP)), and
// returns once the process has been continued. kill returning is not
// enough: the kernel stops a thread group thread by thread, and the
// calling thread of a Go process may run on for a moment. A terminal set
// back to raw mode in that moment is then set to cooked by the job-control
// shell that takes the stop (bash restores its own modes when a job
// stops), and stays cooked after `fg`.
func SuspendGroup() {
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	defer signal.Stop(cont)
	if err := syscall.Kill(0, syscall.SIGSTOP); err != nil {
		return
	}
	<-cont
}
