package unix

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAuditNetlinkBuffer: the audit socket's receive buffer holds a burst
// of records (the kernel doubles what is set and reports the double),
// beyond net.core.rmem_max when the caller has CAP_NET_ADMIN.
func TestAuditNetlinkBuffer(t *testing.T) {
	f, err := OpenAuditNetlink()
	if err != nil {
		t.Skipf("no audit multicast socket (needs CAP_AUDIT_READ): %v", err)
	}
	defer f.Close()
	got, err := unix.GetsockoptInt(int(f.Fd()), unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * auditRcvbuf
	if os.Geteuid() != 0 {
		t.Logf("receive buffer %d bytes (not root: at most net.core.rmem_max)", got)
		return
	}
	if got < want {
		t.Errorf("receive buffer %d bytes, want %d", got, want)
	}
}
