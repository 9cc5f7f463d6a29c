//go:build linux && amd64

package ebpf

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cilium/ebpf/btf"
)

// offsets are the byte offsets of the kernel fields the programs read.
type offsets struct {
	tgid   int32 // task_struct.tgid
	pid    int32 // task_struct.pid (the thread's id)
	origAx int32 // pt_regs.orig_ax (the call's number)
	signal int32 // task_struct.signal
	live   int32 // signal_struct.live (atomic_t, its counter first)
	status int32 // task_struct.thread_info.status
	// regs64 and regs32 are the offsets in struct pt_regs of the
	// registers that carry the six arguments of a system call: di, si,
	// dx, r10, r8, r9 (x86_64 and x32) and bx, cx, dx, si, di, bp (i386).
	regs64, regs32 [6]int32
	// The path from a task to the ids of its cgroup v2 ancestors:
	// task_struct.cgroups, css_set.dfl_cgrp, cgroup.level,
	// cgroup.ancestors, cgroup.kn and kernfs_node.id. cgroupErr says
	// why they are missing (a cgroup recording needs them).
	cgroups, dflCgrp, cgLevel, cgAncestors, cgKn, knID int32
	cgroupErr                                          error
}

// kernelOffsets reads the offsets from the running kernel's BTF, once:
// the kernel does not change under a process.
var kernelOffsets = sync.OnceValues(readKernelOffsets)

func readKernelOffsets() (offsets, error) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, btf.ErrNotSupported) {
			return offsets{}, fmt.Errorf("eBPF recording %w: the kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF): %v", ErrNotSupported, err)
		}
		return offsets{}, fmt.Errorf("eBPF recording %w: read the kernel's BTF: %v", ErrNotSupported, err)
	}
	return offsetsFrom(spec)
}

func offsetsFrom(spec *btf.Spec) (offsets, error) {
	var o offsets
	var task, signal, regs *btf.Struct
	if err := spec.TypeByName("task_struct", &task); err != nil {
		return o, fmt.Errorf("eBPF recording %w: BTF: %v", ErrNotSupported, err)
	}
	if err := spec.TypeByName("signal_struct", &signal); err != nil {
		return o, fmt.Errorf("eBPF recording %w: BTF: %v", ErrNotSupported, err)
	}
	if err := spec.TypeByName("pt_regs", &regs); err != nil {
		return o, fmt.Errorf("eBPF recording %w: BTF: %v", ErrNotSupported, err)
	}
	var err error
	field := func(s *btf.Struct, path ...string) int32 {
		if err != nil {
			return 0
		}
		var off uint32
		var typ btf.Type = s
		for _, name := range path {
			m, moff, ok := member(typ, name)
			if !ok {
				err = fmt.Errorf("eBPF recording %w: BTF: struct %s has no field %v (CONFIG_THREAD_INFO_IN_TASK?)", ErrNotSupported, s.Name, path)
				return 0
			}
			off += moff
			typ = btf.UnderlyingType(m.Type)
		}
		return int32(off)
	}
	o.tgid = field(task, "tgid")
	o.pid = field(task, "pid")
	o.origAx = field(regs, "orig_ax")
	o.signal = field(task, "signal")
	o.live = field(signal, "live")
	o.status = field(task, "thread_info", "status")
	for i, r := range []string{"di", "si", "dx", "r10", "r8", "r9"} {
		o.regs64[i] = field(regs, r)
	}
	for i, r := range []string{"bx", "cx", "dx", "si", "di", "bp"} {
		o.regs32[i] = field(regs, r)
	}
	if err != nil {
		return o, err
	}
	var css, cgrp, kn *btf.Struct
	for name, s := range map[string]**btf.Struct{"css_set": &css, "cgroup": &cgrp, "kernfs_node": &kn} {
		if e := spec.TypeByName(name, s); e != nil {
			o.cgroupErr = fmt.Errorf("eBPF recording %w: BTF: %v", ErrNotSupported, e)
			return o, nil
		}
	}
	o.cgroups = field(task, "cgroups")
	o.dflCgrp = field(css, "dfl_cgrp")
	o.cgLevel = field(cgrp, "level")
	o.cgAncestors = field(cgrp, "ancestors")
	o.cgKn = field(cgrp, "kn")
	o.knID = field(kn, "id")
	o.cgroupErr, err = err, nil
	return o, nil
}

// member finds the field name of a struct or union, also inside its
// anonymous members (randomized_struct_fields_start makes one of most of
// task_struct), and returns it with its byte offset.
func member(t btf.Type, name string) (btf.Member, uint32, bool) {
	var ms []btf.Member
	switch t := t.(type) {
	case *btf.Struct:
		ms = t.Members
	case *btf.Union:
		ms = t.Members
	default:
		return btf.Member{}, 0, false
	}
	for _, m := range ms {
		if m.Name == name && m.BitfieldSize == 0 {
			return m, m.Offset.Bytes(), true
		}
	}
	for _, m := range ms {
		if m.Name != "" {
			continue
		}
		if in, off, ok := member(btf.UnderlyingType(m.Type), name); ok {
			return in, m.Offset.Bytes() + off, true
		}
	}
	return btf.Member{}, 0, false
}
