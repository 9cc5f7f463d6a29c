package cli

import (
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// notify-listen makes a socket for the sd_notify protocol and points
// NOTIFY_SOCKET at it for the commands that follow; notify-wait STATE
// waits (up to 30 s) for a command to send STATE. Scripts use them to
// start a background watch and go on only once it follows the log.
func init() {
	scriptCmds["notify-listen"] = cmdNotifyListen
	scriptCmds["notify-wait"] = cmdNotifyWait
}

var notifySockets sync.Map // *testscript.TestScript -> *net.UnixConn

func cmdNotifyListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: notify-listen")
	}
	path := filepath.Join(ts.Getenv("WORK"), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	ts.Check(err)
	notifySockets.Store(ts, c)
	ts.Defer(func() {
		c.Close()
		notifySockets.Delete(ts)
	})
	ts.Setenv("NOTIFY_SOCKET", path)
}

func cmdNotifyWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: notify-wait STATE")
	}
	v, ok := notifySockets.Load(ts)
	if !ok {
		ts.Fatalf("notify-wait without notify-listen")
	}
	c := v.(*net.UnixConn)
	ts.Check(c.SetReadDeadline(time.Now().Add(30 * time.Second)))
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			ts.Fatalf("waiting for %s: %v", args[0], err)
		}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if line == args[0] {
				return
			}
		}
	}
}
