//go:build linux && amd64

package ebpf

import (
	"syscall"
	"unsafe"
)

// bpfFMmapable is BPF_F_MMAPABLE: an array map user space can map.
const bpfFMmapable = 1 << 10

// mapWords maps the n 64-bit words of the mmapable array map fd into this
// process, shared with the kernel: the programs' atomic operations and
// those of sync/atomic on the words see each other.
func mapWords(fd, n int) ([]byte, []uint64, error) {
	mem, err := syscall.Mmap(fd, 0, 8*n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return mem, unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), n), nil
}

// unmapWords undoes mapWords.
func unmapWords(mem []byte) { _ = syscall.Munmap(mem) }
