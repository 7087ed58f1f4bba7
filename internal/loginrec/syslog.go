package loginrec

import "log/syslog"

// priority is mosh-server's: openlog(..., LOG_AUTH) and syslog(LOG_INFO, ...).
const priority = syslog.LOG_AUTH | syslog.LOG_INFO

// tag is the ident mosh-server logs under (its argv[0]); the writer adds
// the process id, as LOG_PID does.
const tag = "mosh-server"

// OpenSyslog connects to the host's syslog daemon as mosh-server does:
// the authentication facility, tagged "mosh-server[PID]". It returns nil
// where there is none (a container without /dev/log): the session then
// leaves no lines.
func OpenSyslog() Log {
	w, err := syslog.New(priority, tag)
	if err != nil {
		return nil
	}
	return w
}
