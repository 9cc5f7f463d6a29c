package unix

import "golang.org/x/sys/unix"

// TermRows returns the number of rows of the terminal fd is, or false
// when it is no terminal (TIOCGWINSZ).
func TermRows(fd int) (int, bool) {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil || ws.Row == 0 {
		return 0, false
	}
	return int(ws.Row), true
}
