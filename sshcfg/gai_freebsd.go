package sshcfg

// What this system's gai_strerror says, which ssh prints after "Could not
// resolve hostname H: ": for a name that does not exist (EAI_NONAME) and
// for a lookup that could not be made now (EAI_AGAIN).
const (
	gaiNoName = "Name does not resolve"
	gaiAgain  = "Temporary failure in name resolution"
)
