package arch

import "runtime"

// Multiplexer names a system call that carries several others: socketcall(2)
// and ipc(2) on the ABIs that have them. The first argument selects the
// sub-call.
type Multiplexer struct {
	Syscall string `json:"syscall"` // "socketcall" or "ipc"
	Nr      uint32 `json:"nr"`      // number of the multiplexer on the ABI
	Call    uint32 `json:"call"`    // value of the first argument that selects the sub-call
}

// Sub-call numbers of socketcall(2) (SYS_SOCKET ... in <linux/net.h>) and of
// ipc(2) (SEMOP ... in <linux/ipc.h>).
var (
	socketCalls = map[string]uint32{
		"socket": 1, "bind": 2, "connect": 3, "listen": 4, "accept": 5,
		"getsockname": 6, "getpeername": 7, "socketpair": 8, "send": 9, "recv": 10,
		"sendto": 11, "recvfrom": 12, "shutdown": 13, "setsockopt": 14, "getsockopt": 15,
		"sendmsg": 16, "recvmsg": 17, "accept4": 18, "recvmmsg": 19, "sendmmsg": 20,
	}
	ipcCalls = map[string]uint32{
		"semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4,
		"msgsnd": 11, "msgrcv": 12, "msgget": 13, "msgctl": 14,
		"shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
	}
)

// Multiplexed reports how name is reached through a multiplexer on a, when
// it is: on x86, socket(2) is socketcall(2) with first argument 1 (and,
// since Linux 4.3, also the direct call 359, which SyscallNumber returns).
func (a Arch) Multiplexed(name string) (Multiplexer, bool) {
	if nr, ok := a.Socketcall(); ok {
		if c, ok := socketCalls[name]; ok {
			return Multiplexer{Syscall: "socketcall", Nr: nr, Call: c}, true
		}
	}
	if nr, ok := a.IPC(); ok {
		if c, ok := ipcCalls[name]; ok {
			return Multiplexer{Syscall: "ipc", Nr: nr, Call: c}, true
		}
	}
	return Multiplexer{}, false
}

// SubcallName returns the name of sub-call call of the multiplexer
// "socketcall" or "ipc".
func SubcallName(multiplexer string, call uint32) (string, bool) {
	var m map[string]uint32
	switch multiplexer {
	case "socketcall":
		m = socketCalls
	case "ipc":
		m = ipcCalls
	default:
		return "", false
	}
	for n, c := range m {
		if c == call {
			return n, true
		}
	}
	return "", false
}

// Native returns the ABI of the running Go program.
func Native() (Arch, bool) { return GOARCH(runtime.GOARCH) }
