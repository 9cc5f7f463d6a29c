package systemd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// The other settings systemd 252 turns into seccomp filters, each loaded
// as a filter of its own beside SystemCallFilter= (exec_child in
// src/core/execute.c; the filters in src/shared/seccomp-util.c).
const (
	keyFamilies   = "RestrictAddressFamilies"
	keyNamespaces = "RestrictNamespaces"
	keyPersona    = "LockPersonality"
	keyMDWE       = "MemoryDenyWriteExecute"
	keyRealtime   = "RestrictRealtime"
	keySUIDSGID   = "RestrictSUIDSGID"
	keyClock      = "ProtectClock"
	keyModules    = "ProtectKernelModules"
	keyLogs       = "ProtectKernelLogs"
	keyTunables   = "ProtectKernelTunables"
	keyHostname   = "ProtectHostname"
	keyDevices    = "PrivateDevices"
	keyPersonal   = "Personality"
)

// execBools are the boolean settings, in the order Format writes them.
var execBools = []string{keyPersona, keyMDWE, keyRealtime, keySUIDSGID, keyClock, keyModules, keyLogs, keyTunables, keyHostname, keyDevices}

func isExecKey(k string) bool {
	return k == keyFamilies || k == keyNamespaces || k == keyPersonal || slices.Contains(execBools, k)
}

// afNames are systemd 252's address-family names (af_to_name), indexed
// by number; afMax is its af_max().
var afNames = [...]string{1: "AF_UNIX", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK", "AF_NETROM", "AF_BRIDGE",
	"AF_ATMPVC", "AF_X25", "AF_INET6", "AF_ROSE", "AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY", "AF_NETLINK",
	"AF_PACKET", "AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", "AF_SNA", "AF_IRDA", "AF_PPPOX", "AF_WANPIPE", "AF_LLC",
	"AF_IB", "AF_MPLS", "AF_CAN", "AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC", "AF_ISDN", "AF_PHONET",
	"AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK", "AF_KCM", "AF_QIPCRTR", "AF_SMC", "AF_XDP", "AF_MCTP"}

const afMax = len(afNames)

func afByName(s string) int {
	for i, n := range afNames {
		if n != "" && n == s {
			return i
		}
	}
	return -1
}

// nsFlags are systemd 252's namespace_flag_map: the names of
// RestrictNamespaces= and their CLONE_NEW* flags.
var nsFlags = []struct {
	name string
	flag uint64
}{
	{"cgroup", 0x02000000}, {"ipc", 0x08000000}, {"net", 0x40000000}, {"mnt", 0x00020000},
	{"pid", 0x20000000}, {"user", 0x10000000}, {"uts", 0x04000000}, {"time", 0x00000080},
}

const nsAll = 0x02000000 | 0x08000000 | 0x40000000 | 0x00020000 | 0x20000000 | 0x10000000 | 0x04000000 | 0x00000080

// execSettings are the values of the other settings.
type execSettings struct {
	afSet, afAllow bool
	afs            map[int]bool
	nsSet          bool   // an assignment other than an empty one was made
	nsRetain       uint64 // the namespaces kept
	bools          map[string]bool
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

// assignExec reads one of the other settings, as config_parse_* of
// src/core/load-fragment.c read them; what systemd ignores with a
// warning (an unknown family or namespace) is an error here.
func (p *parser) assignExec(key, v string, pos posFn) error {
	p.seen = true
	line, col := pos(0)
	e := &p.x
	switch key {
	case keyPersonal:
		if v != "" {
			return p.errAt(line, col, "Personality=%s: syscage reads LockPersonality= for the personality systemd runs services with (PER_LINUX); remove Personality=", v)
		}
		return nil
	case keyFamilies:
		if v == "" {
			e.afSet, e.afAllow, e.afs = false, false, nil
			return nil
		}
		if v == "none" {
			e.afSet, e.afAllow, e.afs = true, true, map[int]bool{}
			return nil
		}
		v, pos, invert := cutInvert(v, pos)
		if !e.afSet {
			e.afSet, e.afAllow, e.afs = true, !invert, map[int]bool{}
		}
		for _, w := range words(v, pos) {
			af := afByName(w.s)
			if af < 0 {
				return p.errAt(w.line, w.col, "unknown address family %q (systemd ignores it; want a name such as AF_UNIX, AF_INET, AF_INET6, AF_NETLINK)", w.s)
			}
			if !invert == e.afAllow {
				e.afs[af] = true
			} else {
				delete(e.afs, af)
			}
		}
		return nil
	case keyNamespaces:
		if v == "" {
			e.nsSet, e.nsRetain = false, 0
			return nil
		}
		if b, ok := parseBool(v); ok {
			e.nsSet, e.nsRetain = true, 0
			if !b {
				e.nsRetain = nsAll
			}
			return nil
		}
		v, pos, invert := cutInvert(v, pos)
		var flags uint64
		for _, w := range words(v, pos) {
			i := slices.IndexFunc(nsFlags, func(f struct {
				name string
				flag uint64
			}) bool {
				return f.name == w.s
			})
			if i < 0 {
				return p.errAt(w.line, w.col, "unknown namespace type %q (want cgroup, ipc, net, mnt, pid, user, uts or time)", w.s)
			}
			flags |= nsFlags[i].flag
		}
		switch {
		case !e.nsSet && invert:
			e.nsRetain = nsAll &^ flags
		case !e.nsSet:
			e.nsRetain = flags
		case invert:
			e.nsRetain &^= flags
		default:
			e.nsRetain |= flags
		}
		e.nsSet = true
		return nil
	}
	if v == "" {
		delete(e.bools, key)
		return nil
	}
	b, ok := parseBool(v)
	if !ok {
		return p.errAt(line, col, "%s= takes a boolean (yes or no), not %q", key, v)
	}
	if e.bools == nil {
		e.bools = map[string]bool{}
	}
	e.bools[key] = b
	return nil
}

// gate is what one filter of the other settings does to one system
// call: bad lists the argument conditions (ORed; nil for every call)
// under which the call gets act, good the conditions (ORed) that cover
// every other call, so that the two partition the call's arguments.
type gate struct {
	name string
	act  profile.Action
	bad  [][]profile.Cond
	good [][]profile.Cond
}

func eq(arg uint8, v uint64) []profile.Cond {
	return []profile.Cond{{Arg: arg, Op: profile.OpEQ, Value: v}}
}

func masked(arg uint8, mask, v uint64) profile.Cond {
	return profile.Cond{Arg: arg, Op: profile.OpMaskedEQ, Value: mask, ValueTwo: v}
}

var (
	eperm        = profile.Action{Kind: profile.ActErrno, Data: 1}
	eafnosupport = profile.Action{Kind: profile.ActErrno, Data: 97}
	enosysAct    = profile.Action{Kind: profile.ActErrno, Data: enosys}
)

// The values systemd compiles in on x86_64 (and the generic ABI).
const (
	oCreat  = 0o100
	sISUID  = 0o4000
	sISGID  = 0o2000
	protW   = 0x2
	protX   = 0x4
	shmExec = 0o100000
)

// gates are the filters the other settings stand for.
func (e *execSettings) gates() []gate {
	var out []gate
	uncond := func(act profile.Action, names ...string) {
		for _, n := range names {
			if strings.HasPrefix(n, "@") {
				for _, m := range knownMembers(n) {
					out = append(out, gate{name: m, act: act, bad: [][]profile.Cond{nil}})
				}
				continue
			}
			out = append(out, gate{name: n, act: act, bad: [][]profile.Cond{nil}})
		}
	}
	if e.afSet && (e.afAllow || len(e.afs) > 0) {
		// seccomp_restrict_address_families.
		g := gate{name: "socket", act: eafnosupport}
		var in []int
		for af := range e.afs {
			if af > 0 && af < afMax {
				in = append(in, af)
			}
		}
		slices.Sort(in)
		switch {
		case e.afAllow && len(in) == 0:
			g.bad = [][]profile.Cond{nil}
		case e.afAllow:
			first, last := in[0], in[len(in)-1]
			g.bad = append(g.bad, []profile.Cond{{Arg: 0, Op: profile.OpLT, Value: uint64(first)}},
				[]profile.Cond{{Arg: 0, Op: profile.OpGT, Value: uint64(last)}})
			for af := 1; af < afMax; af++ {
				if e.afs[af] {
					g.good = append(g.good, eq(0, uint64(af)))
				} else if af > first && af < last {
					g.bad = append(g.bad, eq(0, uint64(af)))
				}
			}
		default:
			var deny []int
			for af := range e.afs {
				deny = append(deny, af)
			}
			slices.Sort(deny)
			for _, af := range deny {
				g.bad = append(g.bad, eq(0, uint64(af)))
			}
			lo, hi := deny[0], deny[len(deny)-1]
			if lo > 0 {
				g.good = append(g.good, []profile.Cond{{Arg: 0, Op: profile.OpLT, Value: uint64(lo)}})
			}
			g.good = append(g.good, []profile.Cond{{Arg: 0, Op: profile.OpGT, Value: uint64(hi)}})
			for v := lo + 1; v < hi; v++ {
				if !e.afs[v] {
					g.good = append(g.good, eq(0, uint64(v)))
				}
			}
		}
		out = append(out, g)
	}
	if e.bools[keyMDWE] {
		// seccomp_memory_deny_write_execute, as on x86_64 (and mmap2 as
		// on the 32-bit ABIs that have it).
		wx := []gate{
			{name: "mmap", bad: [][]profile.Cond{{masked(2, protW|protX, protW|protX)}},
				good: [][]profile.Cond{{masked(2, protW|protX, 0)}, {masked(2, protW|protX, protW)}, {masked(2, protW|protX, protX)}}},
			{name: "mmap2", bad: [][]profile.Cond{{masked(2, protW|protX, protW|protX)}},
				good: [][]profile.Cond{{masked(2, protW|protX, 0)}, {masked(2, protW|protX, protW)}, {masked(2, protW|protX, protX)}}},
			{name: "mprotect", bad: [][]profile.Cond{{masked(2, protX, protX)}}, good: [][]profile.Cond{{masked(2, protX, 0)}}},
			{name: "pkey_mprotect", bad: [][]profile.Cond{{masked(2, protX, protX)}}, good: [][]profile.Cond{{masked(2, protX, 0)}}},
			{name: "shmat", bad: [][]profile.Cond{{masked(2, shmExec, shmExec)}}, good: [][]profile.Cond{{masked(2, shmExec, 0)}}},
		}
		for _, g := range wx {
			g.act = eperm
			out = append(out, g)
		}
	}
	if e.bools[keyRealtime] {
		// seccomp_restrict_realtime: SCHED_OTHER, SCHED_BATCH and
		// SCHED_IDLE only.
		out = append(out, gate{name: "sched_setscheduler", act: eperm,
			bad:  [][]profile.Cond{eq(1, 1), eq(1, 2), eq(1, 4), {{Arg: 1, Op: profile.OpGT, Value: 5}}},
			good: [][]profile.Cond{eq(1, 0), eq(1, 3), eq(1, 5)}})
	}
	if e.bools[keySUIDSGID] {
		// seccomp_restrict_suid_sgid.
		mode := func(name string, arg uint8) gate {
			return gate{name: name, act: eperm,
				bad:  [][]profile.Cond{{masked(arg, sISUID, sISUID)}, {masked(arg, sISGID, sISGID)}},
				good: [][]profile.Cond{{masked(arg, sISUID|sISGID, 0)}}}
		}
		create := func(name string, flags, m uint8) gate {
			return gate{name: name, act: eperm,
				bad: [][]profile.Cond{{masked(flags, oCreat, oCreat), masked(m, sISUID, sISUID)},
					{masked(flags, oCreat, oCreat), masked(m, sISGID, sISGID)}},
				good: [][]profile.Cond{{masked(flags, oCreat, 0)}, {masked(flags, oCreat, oCreat), masked(m, sISUID|sISGID, 0)}}}
		}
		out = append(out, mode("chmod", 1), mode("fchmod", 1), mode("fchmodat", 2), mode("mkdir", 1), mode("mkdirat", 2),
			mode("mknod", 1), mode("mknodat", 2), create("open", 1, 2), create("openat", 2, 3), mode("creat", 1))
		// openat2 takes its flags in a structure: denied with ENOSYS,
		// so that programs fall back to openat.
		uncond(enosysAct, "openat2")
	}
	if e.nsSet && e.nsRetain&nsAll != nsAll {
		// seccomp_restrict_namespaces.
		uncond(enosysAct, "clone3")
		var block uint64
		var bad [][]profile.Cond
		for _, f := range nsFlags {
			if e.nsRetain&f.flag != f.flag {
				block |= f.flag
				bad = append(bad, []profile.Cond{masked(0, f.flag, f.flag)})
			}
		}
		good := [][]profile.Cond{{masked(0, block, 0)}}
		out = append(out, gate{name: "unshare", act: eperm, bad: bad, good: good},
			gate{name: "clone", act: eperm, bad: bad, good: good})
		if e.nsRetain&nsAll == 0 {
			uncond(eperm, "setns")
		} else {
			sbad := [][]profile.Cond{eq(1, 0)}
			for _, c := range bad {
				sbad = append(sbad, []profile.Cond{masked(1, c[0].Value, c[0].Value)})
			}
			// No good conditions: a1 != 0 with none of the flags takes
			// two comparisons of one argument, which libseccomp refuses.
			out = append(out, gate{name: "setns", act: eperm, bad: sbad})
		}
	}
	if e.bools[keyTunables] {
		uncond(eperm, "_sysctl")
	}
	if e.bools[keyModules] {
		uncond(eperm, "@module")
	}
	if e.bools[keyLogs] {
		uncond(eperm, "syslog")
	}
	if e.bools[keyClock] {
		uncond(eperm, "@clock")
	}
	if e.bools[keyDevices] {
		uncond(eperm, "@raw-io")
	}
	if e.bools[keyPersona] {
		// seccomp_lock_personality(PER_LINUX).
		out = append(out, gate{name: "personality", act: eperm,
			bad:  [][]profile.Cond{{{Arg: 0, Op: profile.OpNE, Value: 0}}},
			good: [][]profile.Cond{eq(0, 0)}})
	}
	if e.bools[keyHostname] {
		uncond(eperm, "sethostname", "setdomainname")
	}
	return out
}

// applyGates adds the filters of the other settings to the actions of
// SystemCallFilter= and SystemCallLog=: the kernel gives a call the
// strictest action of all filters, and of two ERRNO actions that of the
// filter loaded last, SystemCallFilter='s (exec_child loads it after the
// others). Calls a gate decides under conditions get conditional rules
// for both parts of their arguments, since an unconditional rule for
// the same call would replace them.
func (p *parser) applyGates(acts map[string]profile.Action, def profile.Action) ([]profile.Rule, error) {
	var rules []profile.Rule
	done := map[string]bool{}
	for _, g := range p.x.gates() {
		if !knownSyscall(g.name) {
			continue
		}
		m, ok := acts[g.name]
		if !ok {
			m = def
		}
		s := profile.Stricter(m, g.act)
		if s == m {
			continue
		}
		if done[g.name] {
			return nil, fmt.Errorf("%w: two settings filter %s under conditions", profile.ErrInvalid, g.name)
		}
		if len(g.bad) == 1 && g.bad[0] == nil {
			acts[g.name] = s
			continue
		}
		if m != def && len(g.good) == 0 {
			return nil, fmt.Errorf("%w: RestrictNamespaces= denies setns(fd, 0) and the listed namespaces while SystemCallFilter= allows setns: syscage cannot express the rest of setns under one condition per argument; allow no namespace, or deny setns in SystemCallFilter=", profile.ErrNotExpressible)
		}
		done[g.name] = true
		delete(acts, g.name)
		for _, c := range g.bad {
			rules = append(rules, profile.Rule{Names: []string{g.name}, Action: s, Conds: slices.Clone(c)})
		}
		if m != def {
			for _, c := range g.good {
				rules = append(rules, profile.Rule{Names: []string{g.name}, Action: m, Conds: slices.Clone(c)})
			}
		}
	}
	return rules, nil
}

// abiNotes are the ABIs on which systemd 252 filters a setting otherwise
// than on x86_64, whose rules the profile holds for every ABI.
var abiNotes = []struct {
	key  string
	abis []arch.Arch
	why  string
}{
	{keyFamilies, []arch.Arch{arch.X86, arch.S390, arch.S390X, arch.MIPS, arch.MIPSEL},
		"systemd does not filter socket() there (socketcall)"},
	{keyMDWE, []arch.Arch{arch.X86, arch.S390, arch.PPC, arch.PPC64, arch.PPC64LE, arch.S390X, arch.MIPS, arch.MIPSEL, arch.MIPS64, arch.MIPSEL64, arch.MIPS64N32, arch.MIPSEL64N32, arch.RISCV64, arch.LOONGARCH64},
		"systemd filters mmap, mmap2 and shmat otherwise there, or not at all"},
	{keyNamespaces, []arch.Arch{arch.S390, arch.S390X}, "clone takes its flags in the second argument there"},
}

// warnABIs reports the settings the profile reads as on x86_64 for ABIs
// it covers where systemd filters them otherwise.
func (p *parser) warnABIs() {
	var covered []arch.Arch
	if p.s.archSet {
		covered = p.s.arches
	} else {
		for _, e := range LocalArchMap {
			covered = append(covered, e.Arch)
			covered = append(covered, e.Sub...)
		}
	}
	for _, n := range abiNotes {
		w, ok := p.xAt[n.key]
		if !ok || !p.x.active(n.key) {
			continue
		}
		var hit []string
		for _, a := range n.abis {
			if slices.Contains(covered, a) && !slices.Contains(hit, a.String()) {
				hit = append(hit, a.String())
			}
		}
		if len(hit) > 0 {
			p.warn(w.line, w.col, "%s= is read as systemd applies it on x86_64; on %s %s (set SystemCallArchitectures=native to rule them out)", n.key, strings.Join(hit, ", "), n.why)
		}
	}
}

// active reports whether a setting filters anything.
func (e *execSettings) active(key string) bool {
	switch key {
	case keyFamilies:
		return e.afSet && (e.afAllow || len(e.afs) > 0)
	case keyNamespaces:
		return e.nsSet && e.nsRetain&nsAll != nsAll
	}
	return e.bools[key]
}

// File is one file of a unit: the unit file or one of its drop-ins.
type File struct {
	Name string
	Data []byte
}

// ParseFiles reads a unit file and its drop-ins, in the order given
// (systemd reads the unit, then its drop-ins sorted by file name), as
// one unit: later assignments add to or reset earlier ones, as in one
// file. Errors and warnings are located in the file they are in.
func ParseFiles(files ...File) (*profile.Profile, []Warning, error) {
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: no unit file", profile.ErrInvalid)
	}
	p := &parser{}
	for _, f := range files {
		p.file = f.Name
		if l, c := profile.FindNUL(f.Data); l > 0 {
			return nil, p.warnings, &profile.SyntaxError{File: f.Name, Line: l, Col: c, Err: profile.ErrInvalid,
				Msg: "NUL byte: systemd reads unit files as C strings, which end there; remove it"}
		}
		if err := p.unit(strings.TrimPrefix(splitLines(f.Data), "\ufeff")); err != nil {
			return nil, p.warnings, err
		}
	}
	if !p.seen {
		return nil, p.warnings, &profile.SyntaxError{File: files[0].Name, Line: 1, Col: 1, Err: profile.ErrInvalid,
			Msg: "no system-call setting in the unit or its drop-ins: not a seccomp profile"}
	}
	pr, err := p.profile()
	return pr, p.warnings, err
}

// LoadUnit reads a unit file as installed and its drop-ins (DropIns),
// as ParseFiles.
func LoadUnit(path string) (*profile.Profile, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read unit: %w", err)
	}
	drop, err := DropIns(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseFiles(append([]File{{path, data}}, drop...)...)
}

// SystemUnitPath is the search path of systemd's system units, highest
// priority first, as systemd-analyze unit-paths prints it (systemd 252,
// Debian 12).
var SystemUnitPath = []string{
	"/etc/systemd/system.control",
	"/run/systemd/system.control",
	"/run/systemd/transient",
	"/run/systemd/generator.early",
	"/etc/systemd/system",
	"/etc/systemd/system.attached",
	"/run/systemd/system",
	"/run/systemd/system.attached",
	"/run/systemd/generator",
	"/usr/local/lib/systemd/system",
	"/lib/systemd/system",
	"/usr/lib/systemd/system",
	"/run/systemd/generator.late",
}

// DropIns reads the drop-ins systemd reads for the unit file at path
// (unit_file_find_dropin_paths). For a unit in a directory of
// SystemUnitPath, as systemd loads it, they are those of every directory
// of the path; for a unit elsewhere, those of its own directory. In each
// directory, in the path's order, the drop-in directories are NAME.d/,
// the template's for an instance (foo@.service.d/ for foo@bar.service),
// each dash prefix's (foo-bar-.service.d/ and foo-.service.d/ for
// foo-bar-baz.service), and the unit type's (service.d/, systemd 244).
// Their files *.conf are merged and sorted by file name; of two files of
// one name, the one met first is read and masks the other: a directory
// earlier in the path wins, and within one the more specific name. Entries
// that are not regular files (a drop-in masked with a link to /dev/null)
// are skipped, as systemd skips them. A directory that does not exist has
// no drop-ins; one that cannot be read is an error, since a left-out
// drop-in would change the filter. Directories are listed, not globbed,
// so the escapes of systemd's unit names (\x2d) are no pattern.
func DropIns(path string) ([]File, error) { return dropIns("", path) }

// dropIns is DropIns with SystemUnitPath under root.
func dropIns(root, path string) ([]File, error) {
	dir, name := filepath.Split(path)
	dirs := []string{filepath.Clean(dir)}
	for _, p := range SystemUnitPath {
		if filepath.Join(root, p) == dirs[0] {
			dirs = dirs[:0]
			for _, p := range SystemUnitPath {
				dirs = append(dirs, filepath.Join(root, p))
			}
			break
		}
	}
	units := dropInDirs(name)
	if dot := strings.LastIndexByte(name, '.'); dot > 0 {
		units = append(units, name[dot+1:]) // the unit type's: service.d
	}
	seen := map[string]bool{}
	var names []string
	byName := map[string]string{}
	for _, p := range dirs {
		for _, d := range units {
			if err := addDropIns(filepath.Join(p, d+".d"), seen, &names, byName); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(names)
	var files []File
	for _, n := range names {
		b, err := os.ReadFile(byName[n])
		if err != nil {
			return nil, fmt.Errorf("read drop-in: %w", err)
		}
		files = append(files, File{byName[n], b})
	}
	return files, nil
}

// dropInDirs returns the unit names whose NAME.d directories hold
// drop-ins for the unit name, the most specific first, as
// unit_file_find_dirs walks them: the name, its template's (for an
// instance), then the same for each shorter dash prefix.
func dropInDirs(name string) []string {
	out := []string{name}
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 {
		return out
	}
	stem, suffix := name[:dot], name[dot:]
	prefix, instance, isInstance := strings.Cut(stem, "@")
	if isInstance && instance != "" {
		out = append(out, dropInDirs(prefix+"@"+suffix)...)
	}
	chopped := false
	for {
		dash := strings.LastIndexByte(prefix, '-')
		if dash <= 0 {
			return out
		}
		if dash+1 < len(prefix) || chopped {
			prefix = prefix[:dash+1]
			break
		}
		prefix, chopped = prefix[:dash], true // a trailing dash: once
	}
	built := prefix + suffix
	if isInstance && instance != "" {
		built = prefix + "@" + instance + suffix
	}
	return append(out, dropInDirs(built)...)
}

// addDropIns adds the drop-ins *.conf of directory d whose names are not
// seen yet to names, their paths to byName.
func addDropIns(d string, seen map[string]bool, names *[]string, byName map[string]string) error {
	ents, err := os.ReadDir(d)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read drop-ins: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".conf") || seen[n] {
			continue
		}
		seen[n] = true
		f := filepath.Join(d, n)
		st, err := os.Stat(f)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read drop-in: %w", err)
		}
		if err != nil || !st.Mode().IsRegular() {
			continue // masked, or a dangling link
		}
		*names = append(*names, n)
		byName[n] = f
	}
	return nil
}
