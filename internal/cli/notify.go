package cli

import (
	"fmt"
	"net"
	"os"
)

// sdNotify sends state ("READY=1", ...) to the service manager that
// started syscage, by the sd_notify(3) protocol: a datagram to the Unix
// socket NOTIFY_SOCKET names ('@' for the abstract namespace, which the
// net package understands). Without NOTIFY_SOCKET it does nothing, so
// long-running commands can call it unconditionally; with it, a unit of
// Type=notify starts its dependents only once the command is ready.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	return nil
}
