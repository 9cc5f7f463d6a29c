package launch

import (
	"encoding/binary"
	"syscall"
)

// The broker answers the stat calls of ABIs whose struct stat is not the
// host's by writing the kernel's layout for that ABI itself, from what
// the kernel knows of the file (kstat). These are the layouts of the
// i386 ABI, as the kernel writes them for an i386 program on an x86_64
// kernel (arch/x86/kernel/sys_ia32.c cp_stat64 and fs/stat.c
// cp_compat_stat) and on an i386 one (fs/stat.c cp_new_stat64 and
// cp_new_stat): the same bytes and errors on both.
//
// oldstat and oldlstat (struct __old_kernel_stat: 16-bit inode numbers,
// which nearly every file overflows) are not written: the call gets
// ENOSYS, as from a kernel without them.

// kstat is what the kernel's stat calls copy out (struct kstat), as
// statx reports it.
type kstat struct {
	Dev, Rdev           uint64 // major and minor, as huge_encode_dev encodes them
	Ino                 uint64
	Mode                uint16
	Nlink               uint32
	UID, GID            uint32
	Size                int64
	Blksize             uint32
	Blocks              uint64
	Atime, Mtime, Ctime statTime
}

type statTime struct {
	Sec  int64
	Nsec uint32
}

// encodeDev is the kernel's new_encode_dev (and huge_encode_dev) of a
// device: minor's low 8 bits, major, then minor's high 12 bits.
func encodeDev(major, minor uint32) uint64 {
	return uint64(minor&0xff | major<<8 | (minor&^0xff)<<12)
}

// statField is one field of a stat layout: its offset and size in bytes.
type statField struct {
	Name         string
	Offset, Size int
}

// statLayout is a struct stat of an ABI, little-endian.
type statLayout struct {
	Name   string // the C struct, in the ABI's <asm/stat.h>
	Size   int
	Fields []statField
}

// i386Stat64 is i386's struct stat64 (stat64, lstat64, fstatat64), with
// the padding glibc 2.1 had around its dev_t's and the inode number
// twice: truncated in __st_ino, whole in st_ino at the end.
var i386Stat64 = statLayout{Name: "stat64", Size: 96, Fields: []statField{
	{"st_dev", 0, 8}, {"__pad0", 8, 4}, {"__st_ino", 12, 4},
	{"st_mode", 16, 4}, {"st_nlink", 20, 4}, {"st_uid", 24, 4}, {"st_gid", 28, 4},
	{"st_rdev", 32, 8}, {"__pad3", 40, 4}, {"st_size", 44, 8}, {"st_blksize", 52, 4}, {"st_blocks", 56, 8},
	{"st_atime", 64, 4}, {"st_atime_nsec", 68, 4}, {"st_mtime", 72, 4}, {"st_mtime_nsec", 76, 4},
	{"st_ctime", 80, 4}, {"st_ctime_nsec", 84, 4}, {"st_ino", 88, 8},
}}

// i386Stat is i386's struct stat (stat, lstat), the kernel's
// struct compat_stat on x86_64.
var i386Stat = statLayout{Name: "stat", Size: 64, Fields: []statField{
	{"st_dev", 0, 4}, {"st_ino", 4, 4}, {"st_mode", 8, 2}, {"st_nlink", 10, 2}, {"st_uid", 12, 2}, {"st_gid", 14, 2},
	{"st_rdev", 16, 4}, {"st_size", 20, 4}, {"st_blksize", 24, 4}, {"st_blocks", 28, 4},
	{"st_atime", 32, 4}, {"st_atime_nsec", 36, 4}, {"st_mtime", 40, 4}, {"st_mtime_nsec", 44, 4},
	{"st_ctime", 48, 4}, {"st_ctime_nsec", 52, 4}, {"__unused4", 56, 4}, {"__unused5", 60, 4},
}}

// encode writes values by field name into a zeroed struct of l: each
// truncated to its field's size, as the kernel's assignments truncate.
// Fields without a value (padding) stay zero.
func (l statLayout) encode(values map[string]uint64) []byte {
	b := make([]byte, l.Size)
	for _, f := range l.Fields {
		v := values[f.Name]
		switch f.Size {
		case 2:
			binary.LittleEndian.PutUint16(b[f.Offset:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(b[f.Offset:], uint32(v))
		case 8:
			binary.LittleEndian.PutUint64(b[f.Offset:], v)
		}
	}
	return b
}

// i386Stat64Bytes is k as the kernel copies it to an i386 program's
// struct stat64. Nothing overflows: the inode number, size and blocks
// have 64 bits, the times are truncated to 32 (as the kernel does).
func i386Stat64Bytes(k kstat) []byte {
	return i386Stat64.encode(map[string]uint64{
		"st_dev": k.Dev, "__st_ino": k.Ino, "st_mode": uint64(k.Mode), "st_nlink": uint64(k.Nlink),
		"st_uid": uint64(k.UID), "st_gid": uint64(k.GID), "st_rdev": k.Rdev, "st_size": uint64(k.Size),
		"st_blksize": uint64(k.Blksize), "st_blocks": k.Blocks,
		"st_atime": uint64(k.Atime.Sec), "st_atime_nsec": uint64(k.Atime.Nsec),
		"st_mtime": uint64(k.Mtime.Sec), "st_mtime_nsec": uint64(k.Mtime.Nsec),
		"st_ctime": uint64(k.Ctime.Sec), "st_ctime_nsec": uint64(k.Ctime.Nsec),
		"st_ino": k.Ino,
	})
}

// maxNonLFS is the largest size a struct stat without large-file support
// holds (the kernel's MAX_NON_LFS).
const maxNonLFS = 1<<31 - 1

// i386StatBytes is k as the kernel copies it to an i386 program's
// struct stat, or EOVERFLOW where the kernel refuses: an inode number
// beyond 32 bits, a link count beyond 16, a size beyond 2 GiB - 1. A uid
// or gid beyond 16 bits is written as overflowID (the kernel's
// overflowuid and overflowgid, /proc/sys/kernel/overflow[ug]id).
func i386StatBytes(k kstat, overflowUID, overflowGID uint16) ([]byte, error) {
	if k.Ino > 0xffffffff || k.Nlink > 0xffff || uint64(k.Size) > maxNonLFS {
		return nil, syscall.EOVERFLOW
	}
	low := func(id uint32, overflow uint16) uint64 {
		if id&^0xffff != 0 {
			return uint64(overflow)
		}
		return uint64(id)
	}
	return i386Stat.encode(map[string]uint64{
		"st_dev": k.Dev, "st_ino": k.Ino, "st_mode": uint64(k.Mode), "st_nlink": uint64(k.Nlink),
		"st_uid": low(k.UID, overflowUID), "st_gid": low(k.GID, overflowGID),
		"st_rdev": k.Rdev, "st_size": uint64(k.Size), "st_blksize": uint64(k.Blksize), "st_blocks": k.Blocks,
		"st_atime": uint64(k.Atime.Sec), "st_atime_nsec": uint64(k.Atime.Nsec),
		"st_mtime": uint64(k.Mtime.Sec), "st_mtime_nsec": uint64(k.Mtime.Nsec),
		"st_ctime": uint64(k.Ctime.Sec), "st_ctime_nsec": uint64(k.Ctime.Nsec),
	}), nil
}
