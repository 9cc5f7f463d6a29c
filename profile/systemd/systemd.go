package systemd

import (
	"bytes"
	_ "embed"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/syscage/syscage/profile/internal/closest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// The settings Parse reads; other keys of a unit are ignored.
const (
	keyFilter = "SystemCallFilter"
	keyErrno  = "SystemCallErrorNumber"
	keyArches = "SystemCallArchitectures"
	keyLog    = "SystemCallLog"
)

// killErrno is systemd's SECCOMP_ERROR_NUMBER_KILL: ":kill" and
// SystemCallErrorNumber=kill.
const killErrno = -2

// enosys is what the kernel returns for TRACE without a tracer, and the
// nearest action Format writes for TRACE and USER_NOTIF.
const enosys = 38

// archName is systemd's spelling of a (seccomp_arch_to_string), "" for
// an ABI systemd does not know.
func archName(a arch.Arch) string { return a.Systemd() }

// LocalArchMap is what systemd filters on each host when
// SystemCallArchitectures= is not set: it installs the filter for every
// ABI of seccomp_local_archs (src/shared/seccomp-util.c), the native one
// and those the kernel can also run.
var LocalArchMap = []profile.ArchMapEntry{
	{Arch: arch.X86_64, Sub: []arch.Arch{arch.X86, arch.X32}},
	{Arch: arch.X86},
	{Arch: arch.AARCH64, Sub: []arch.Arch{arch.ARM}},
	{Arch: arch.ARM},
	{Arch: arch.LOONGARCH64},
	{Arch: arch.MIPS64, Sub: []arch.Arch{arch.MIPS, arch.MIPSEL, arch.MIPS64N32, arch.MIPSEL64N32, arch.MIPSEL64}},
	{Arch: arch.MIPSEL64, Sub: []arch.Arch{arch.MIPS, arch.MIPSEL, arch.MIPS64N32, arch.MIPSEL64N32, arch.MIPS64}},
	{Arch: arch.MIPS, Sub: []arch.Arch{arch.MIPSEL}},
	{Arch: arch.MIPSEL, Sub: []arch.Arch{arch.MIPS}},
	{Arch: arch.PPC64, Sub: []arch.Arch{arch.PPC, arch.PPC64LE}},
	{Arch: arch.PPC64LE, Sub: []arch.Arch{arch.PPC, arch.PPC64}},
	{Arch: arch.PPC},
	{Arch: arch.RISCV64},
	{Arch: arch.S390X, Sub: []arch.Arch{arch.S390}},
	{Arch: arch.S390},
}

func cloneArchMap(m []profile.ArchMapEntry) []profile.ArchMapEntry {
	out := make([]profile.ArchMapEntry, len(m))
	for i, e := range m {
		out[i] = profile.ArchMapEntry{Arch: e.Arch, Sub: slices.Clone(e.Sub)}
	}
	return out
}

var (
	knownOnce sync.Once
	known     map[string]bool
)

// knownSyscall reports whether some ABI has a system call name, as
// libseccomp's resolver, which systemd asks, would know it.
func knownSyscall(name string) bool {
	knownOnce.Do(func() {
		known = map[string]bool{}
		for _, a := range arch.All() {
			for _, s := range a.Syscalls() {
				known[s.Name] = true
			}
		}
	})
	return known[name]
}

// nameSet is one of systemd's syscall hashmaps: name -> errno, -1 for
// none, killErrno for kill.
type nameSet struct {
	set   bool // an assignment was made since the last reset
	allow bool // allow-list mode (for SystemCallLog: log the listed ones)
	m     map[string]int
}

type settings struct {
	filter, log nameSet
	errno       int // 0 unset
	arches      []arch.Arch
	archSet     bool
	native      bool
}

type parser struct {
	file     string
	s        settings
	x        execSettings
	xAt      map[string]word // where each of the other settings was last assigned
	seen     bool            // a seccomp setting was assigned
	warnings []Warning
}

func (p *parser) errAt(line, col int, format string, args ...any) error {
	return &profile.SyntaxError{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: profile.ErrInvalid}
}

// word is a word of a value with its position.
type word struct {
	s         string
	line, col int
}

// posFn maps an offset in a value to its line and column in the input.
type posFn func(off int) (line, col int)

func linePos(line, col int) posFn {
	return func(off int) (int, int) { return line, col + off }
}

// cutInvert cuts the "~" that inverts a list setting off v; pos then
// maps offsets of the rest.
func cutInvert(v string, pos posFn) (string, posFn, bool) {
	rest, ok := strings.CutPrefix(v, "~")
	if !ok {
		return v, pos, false
	}
	return rest, func(off int) (int, int) { return pos(off + 1) }, true
}

func words(v string, pos posFn) []word {
	var out []word
	start := -1
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ' ' || v[i] == '\t' {
			if start >= 0 {
				l, c := pos(start)
				out = append(out, word{v[start:i], l, c})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// Parse reads the system-call settings of a systemd unit, a drop-in, or
// a bare SystemCallFilter= value (a text without sections or
// assignments), as systemd 252 reads them (config_parse_syscall_filter,
// seccomp_parse_syscall_filter, apply_syscall_filter and
// apply_syscall_log in src/core):
//
//   - SystemCallFilter= assignments are merged in order; the first one's
//     polarity decides: without "~" only the listed calls and @default
//     are allowed and the others get SystemCallErrorNumber= (kill the
//     process when unset); with "~" the listed calls get it and the
//     others are allowed. A later assignment of the other polarity takes
//     its calls out of the list; "~name:ERRNO" in an allow list gives
//     the call that errno. name:ERRNO (a name or number) and name:kill
//     set the action of a denied call; an empty assignment resets the
//     list and its polarity.
//   - @groups expand to systemd 252's members (Groups), nested ones too;
//     members no ABI has are skipped, as libseccomp's resolver skips them.
//   - SystemCallLog= (same syntax, no errno) logs the listed calls, or
//     all but the listed ones with "~"; systemd loads it as a second
//     filter, so a logged call that the first allows gets LOG.
//   - SystemCallArchitectures= gives Arches ("native" is the native ABI,
//     which the model always covers); without it the profile gets
//     LocalArchMap, the ABIs systemd filters on each host.
//   - A text with none of these settings (an empty file, a unit without
//     a filter) is an error, not a profile that allows everything; an
//     empty SystemCallFilter= says that on purpose.
//
// The profile has one rule per action, sorted by action, with sorted
// names. Errors are *profile.SyntaxError located at the offending word:
// unknown groups, system calls, errno names and architectures, and an
// errno on an allowed call, which systemd ignores with a warning.
func Parse(name string, data []byte) (*profile.Profile, error) {
	pr, _, err := ParseWarn(name, data)
	return pr, err
}

// ParseWarn is Parse, and also returns what systemd ignores with a
// warning: system-call settings outside the exec section of the unit
// (before any section, in [Unit], [Install], an X- section or a section
// the unit type does not have) and unknown sections. The warnings are
// returned with the profile, and with a nil profile when they explain
// why there is none.
func ParseWarn(name string, data []byte) (*profile.Profile, []Warning, error) {
	p := &parser{file: name}
	pr, err := p.parse(data)
	return pr, p.warnings, err
}

func (p *parser) parse(data []byte) (*profile.Profile, error) {
	name := p.file
	if l, c := profile.FindNUL(data); l > 0 {
		return nil, &profile.SyntaxError{File: name, Line: l, Col: c, Err: profile.ErrInvalid,
			Msg: "NUL byte: systemd reads unit files as C strings, which end there; remove it"}
	}
	text := strings.TrimPrefix(splitLines(data), "\ufeff")
	if isBare(text) {
		lines := strings.Split(text, "\n")
		for i, l := range lines {
			t := strings.TrimSpace(l)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if err := p.assign(keyFilter, t, linePos(i+1, 1+strings.Index(l, t))); err != nil {
				return nil, err
			}
		}
	} else if err := p.unit(text); err != nil {
		return nil, err
	}
	if !p.seen {
		// Read as systemd would, a text without seccomp settings allows
		// every system call; as a profile it is a mistake (an empty
		// file, the wrong unit, a file in no format syscage reads), and
		// reading it so would fail open.
		msg := "no SystemCallFilter=, SystemCallArchitectures=, SystemCallErrorNumber= or SystemCallLog= setting: not a seccomp profile (an empty SystemCallFilter= allows every system call)"
		if isBlank(text) {
			msg = "empty (only blank lines and comments): not a seccomp profile in any format"
		} else if len(p.warnings) > 0 {
			w := p.warnings[0]
			msg = "no SystemCallFilter=, SystemCallArchitectures=, SystemCallErrorNumber= or SystemCallLog= setting that systemd reads: " + w.Msg
			return nil, &profile.SyntaxError{File: p.file, Line: w.Line, Col: w.Col, Err: profile.ErrInvalid, Msg: msg}
		}
		return nil, &profile.SyntaxError{File: p.file, Line: 1, Col: 1, Err: profile.ErrInvalid, Msg: msg}
	}
	return p.profile()
}

// isBlank reports whether text has nothing but blank lines and comments.
func isBlank(text string) bool {
	for _, l := range strings.Split(strings.TrimPrefix(text, "\ufeff"), "\n") {
		if t := strings.TrimSpace(l); t != "" && t[0] != '#' && t[0] != ';' {
			return false
		}
	}
	return true
}

// isBare reports whether text is a bare SystemCallFilter= value.
func isBare(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '[' {
			return false
		}
		if i := strings.IndexByte(t, '='); i > 0 && !strings.ContainsAny(t[:i], " \t~@:") {
			return false
		}
	}
	return true
}

// execSections are the sections systemd reads the system-call settings
// from: those whose unit types have an exec context (the
// EXEC_CONTEXT_CONFIG_ITEMS of src/core/load-fragment-gperf.gperf.in),
// with the unit-name suffix that selects each.
var execSections = []struct{ section, suffix string }{
	{"Service", ".service"}, {"Socket", ".socket"}, {"Mount", ".mount"}, {"Swap", ".swap"},
}

// unitSections are the sections systemd knows in any unit file besides
// the exec sections; keys there are not system-call settings.
var unitSections = []string{"Unit", "Install", "Path", "Timer", "Slice", "Scope", "Automount"}

// Warning is something in a unit that systemd ignores, located in the
// input.
type Warning struct {
	File      string
	Line, Col int
	Msg       string
}

// String returns "file:line:col: message".
func (w Warning) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", w.File, w.Line, w.Col, w.Msg)
}

// unitSection tells from a file name which exec section systemd reads: a
// unit (app.service) or a drop-in in its directory (app.service.d/x.conf)
// names it by its suffix; for other names ("" when any exec section
// counts) the file may be of any type.
func unitSection(name string) string {
	name = strings.TrimRight(filepath.ToSlash(name), "/")
	base := path.Base(name)
	if strings.HasSuffix(base, ".conf") {
		if dir := path.Base(path.Dir(name)); strings.HasSuffix(dir, ".d") {
			base = strings.TrimSuffix(dir, ".d")
		}
	}
	for _, s := range execSections {
		if strings.HasSuffix(base, s.suffix) {
			return s.section
		}
	}
	return ""
}

// unit reads a unit file or drop-in as systemd's config_parse does
// (src/shared/conf-parser.c): lines whose first non-blank character is #
// or ; are comments, even inside a continued line; a line ending in an
// unescaped backslash continues on the next, the backslash read as a
// space; "[Name]" opens a section, names compared case-sensitively;
// assignments before the first section, in sections the unit type does
// not have and in X- sections are ignored. The system-call settings
// count only in the exec section of the unit type (see unitSection);
// elsewhere they are ignored with a warning, as systemd ignores them.
func (p *parser) unit(text string) error {
	want := unitSection(p.file)
	lines := strings.Split(text, "\n")
	section, sectionLine := "", 0    // "" before any section and in ignored ones
	known := false                   // section is one systemd reads
	execSeen := ""                   // the exec section a setting was read from
	type seg struct{ off, line int } // where a physical line starts in the joined one
	for i := 0; i < len(lines); i++ {
		start := i
		l := lines[i]
		if i == 0 {
			l = strings.TrimPrefix(l, "\ufeff")
		}
		if isComment(l) {
			continue
		}
		segs := []seg{{0, i + 1}}
		for continued(l) && i+1 < len(lines) {
			i++
			if isComment(lines[i]) {
				continue
			}
			l = l[:len(l)-1] + " "
			segs = append(segs, seg{len(l), i + 1})
			l += lines[i]
		}
		if continued(l) {
			l = l[:len(l)-1] + " "
		}
		t := strings.Trim(l, " \t\n\r")
		if t == "" {
			continue
		}
		col := 1 + strings.Index(l, t)
		if t[0] == '[' {
			if t[len(t)-1] != ']' {
				return p.errAt(start+1, col, "invalid section header %q (systemd refuses the unit): want [Name]", t)
			}
			section, sectionLine = t[1:len(t)-1], start+1
			known = slices.Contains(unitSections, section)
			for _, s := range execSections {
				if section == s.section {
					known = want == "" || want == section
				}
			}
			if !known && !strings.HasPrefix(section, "X-") {
				p.warn(start+1, col, "unknown section [%s]: systemd ignores it and its settings", section)
			}
			continue
		}
		eq := strings.IndexByte(l, '=')
		if eq < 0 {
			return p.errAt(start+1, col, "%q is not an assignment (want Key=value) or a [Section]", t)
		}
		key := strings.Trim(l[:eq], " \t\r")
		if !isSeccompKey(key) && !isExecKey(key) {
			continue
		}
		switch {
		case sectionLine == 0:
			p.warn(start+1, col, "%s= before any section: systemd ignores it (put it under [%s])", key, orService(want))
			continue
		case !known:
			p.warn(start+1, col, "%s= in [%s]: systemd ignores it there", key, section)
			continue
		case !isExec(section):
			p.warn(start+1, col, "%s= in [%s]: systemd reads it only in [%s]", key, section, orService(want))
			continue
		case execSeen != "" && execSeen != section:
			return p.errAt(start+1, col, "%s= in [%s] and in [%s]: a unit has one of them; name the file by its unit type (.service, .socket, .mount or .swap)", key, execSeen, section)
		}
		execSeen = section
		v := l[eq+1:]
		vt := strings.TrimLeft(v, " \t")
		vstart := eq + 1 + len(v) - len(vt)
		vt = strings.TrimRight(vt, " \t\r")
		pos := func(off int) (int, int) {
			o := vstart + off
			s := segs[0]
			for _, x := range segs {
				if x.off <= o {
					s = x
				}
			}
			return s.line, o - s.off + 1
		}
		if err := p.assign(key, vt, pos); err != nil {
			return err
		}
	}
	return nil
}

func isSeccompKey(k string) bool {
	return k == keyFilter || k == keyErrno || k == keyArches || k == keyLog
}

func isExec(section string) bool {
	for _, s := range execSections {
		if section == s.section {
			return true
		}
	}
	return false
}

func orService(s string) string {
	if s == "" {
		return "Service"
	}
	return s
}

// isComment reports whether a physical line is a comment.
func isComment(l string) bool {
	t := strings.TrimLeft(l, " \t\n\r")
	return t != "" && (t[0] == '#' || t[0] == ';')
}

// continued reports whether l ends in a backslash that no backslash
// escapes.
func continued(l string) bool {
	escaped := false
	for i := 0; i < len(l); i++ {
		if escaped {
			escaped = false
		} else if l[i] == '\\' {
			escaped = true
		}
	}
	return escaped
}

func (p *parser) warn(line, col int, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) assign(key, v string, pos posFn) error {
	p.seen = true
	line, col := pos(0)
	if isExecKey(key) {
		if p.xAt == nil {
			p.xAt = map[string]word{}
		}
		p.xAt[key] = word{v, line, col}
		return p.assignExec(key, v, pos)
	}
	switch key {
	case keyErrno:
		if v == "" {
			p.s.errno = 0
			return nil
		}
		n, err := parseErrno(v)
		if err != nil {
			return p.errAt(line, col, "SystemCallErrorNumber=: %v", err)
		}
		p.s.errno = n
		return nil
	case keyArches:
		if v == "" {
			p.s.arches, p.s.archSet, p.s.native = nil, false, false
			return nil
		}
		p.s.archSet = true
		for _, w := range words(v, pos) {
			if w.s == "native" {
				p.s.native = true
				continue
			}
			a, ok := parseArch(w.s)
			if !ok {
				var valid []string
				for _, a := range arch.All() {
					if a.Systemd() != "" {
						valid = append(valid, a.Systemd())
					}
				}
				return p.errAt(w.line, w.col, "unknown architecture %q (want native, %s)", w.s, strings.Join(valid, ", "))
			}
			if !slices.Contains(p.s.arches, a) {
				p.s.arches = append(p.s.arches, a)
			}
		}
		return nil
	}
	ns := &p.s.filter
	if key == keyLog {
		ns = &p.s.log
	}
	if v == "" {
		*ns = nameSet{}
		return nil
	}
	v, pos, invert := cutInvert(v, pos)
	if !ns.set {
		ns.set, ns.allow, ns.m = true, !invert, map[string]int{}
		if ns.allow && key == keyFilter {
			p.apply(ns, "@default", -1, false)
		}
	}
	for _, w := range words(v, pos) {
		name, num := w.s, -1
		if i := strings.IndexByte(w.s, ':'); i >= 0 {
			if key == keyLog {
				return p.errAt(w.line, w.col+i, "SystemCallLog= takes no errno, got %q", w.s)
			}
			name = w.s[:i]
			n, err := parseErrno(w.s[i+1:])
			if err != nil {
				return p.errAt(w.line, w.col+i+1, "%v", err)
			}
			num = n
			if !invert {
				return p.errAt(w.line, w.col+i, "allowed system calls take no errno (systemd ignores %q): put it in a ~ assignment", w.s)
			}
		}
		if strings.HasPrefix(name, "@") {
			if _, ok := LookupGroup(name); !ok {
				msg := fmt.Sprintf("unknown system-call group %q", name)
				if s := closest.Name(name, GroupNames()); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return p.errAt(w.line, w.col, "%s", msg)
			}
		} else if !knownSyscall(name) {
			return p.errAt(w.line, w.col, "unknown system call %q", name)
		} else if !knows(MinVersion, name) {
			p.warn(w.line, w.col, "systemd 252 cannot resolve %q (its libseccomp 2.5.4 does not know it) and ignores it", name)
			continue
		}
		p.apply(ns, name, num, invert)
	}
	return nil
}

// apply is seccomp_parse_syscall_filter: add or remove a name or group.
func (p *parser) apply(ns *nameSet, name string, num int, invert bool) {
	if strings.HasPrefix(name, "@") {
		g, _ := LookupGroup(name)
		for _, m := range g.Members {
			// systemd resolves each member through libseccomp and skips
			// the ones it does not know.
			if strings.HasPrefix(m, "@") || knows(MinVersion, m) {
				p.apply(ns, m, num, invert)
			}
		}
		return
	}
	// systemd's SECCOMP_ERROR_NUMBER_KILL is positive (INT_MAX-1), so
	// "~name:kill" in an allow list is kept like an errno.
	if !invert == ns.allow || (invert && ns.allow && (num >= 0 || num == killErrno)) {
		ns.m[name] = num
	} else {
		delete(ns.m, name)
	}
}

func parseErrno(s string) (int, error) {
	if s == "kill" {
		return killErrno, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n >= profile.MaxErrno {
			return 0, fmt.Errorf("errno %d out of range 0..%d", n, profile.MaxErrno-1)
		}
		return n, nil
	}
	if n, ok := profile.ErrnoByName(s); ok {
		return int(n), nil
	}
	return 0, fmt.Errorf("unknown errno %q (want a name such as EPERM, a number, or kill)", s)
}

func errnoName(n uint16) string {
	if s := profile.ErrnoName(n); s != "" {
		return s
	}
	return strconv.Itoa(int(n))
}

func parseArch(s string) (arch.Arch, bool) {
	for _, a := range arch.All() {
		if a.Systemd() != "" && a.Systemd() == s {
			return a, true
		}
	}
	return arch.Invalid, false
}

// profile builds the model from the settings.
func (p *parser) profile() (*profile.Profile, error) {
	s := p.s
	negative := profile.Action{Kind: profile.ActKillProcess}
	if s.errno > 0 {
		negative = profile.Action{Kind: profile.ActErrno, Data: uint16(s.errno)}
	}
	allow := profile.Action{Kind: profile.ActAllow}
	logAct := profile.Action{Kind: profile.ActLog}
	fDef, lDef := allow, allow
	if s.filter.set && s.filter.allow {
		fDef = negative
	}
	logOn := s.log.set && (s.log.allow || len(s.log.m) > 0)
	if logOn && !s.log.allow {
		lDef = logAct
	}
	out := &profile.Profile{Default: profile.Stricter(fDef, lDef)}
	acts := map[string]profile.Action{}
	if s.filter.set {
		for n, v := range s.filter.m {
			a := allow
			switch {
			case v >= 0:
				a = profile.Action{Kind: profile.ActErrno, Data: uint16(v)}
			case v == killErrno:
				a = profile.Action{Kind: profile.ActKillProcess}
			case !s.filter.allow:
				a = negative
			}
			acts[n] = a
		}
	}
	if logOn {
		for n := range s.log.m {
			f, ok := acts[n]
			if !ok {
				f = fDef
			}
			l := allow
			if s.log.allow {
				l = logAct
			}
			acts[n] = profile.Stricter(f, l)
		}
		for n, a := range acts {
			if _, ok := s.log.m[n]; !ok {
				acts[n] = profile.Stricter(a, lDef)
			}
		}
	}
	cond, err := p.applyGates(acts, out.Default)
	if err != nil {
		w := p.xAt[keyNamespaces]
		return nil, &profile.SyntaxError{File: p.file, Line: w.line, Col: w.col, Msg: err.Error(), Err: err}
	}
	out.Rules = append(cond, rulesFrom(acts, out.Default)...)
	p.warnABIs()
	switch {
	case !s.archSet:
		out.ArchMap = cloneArchMap(LocalArchMap)
	default:
		out.Arches = slices.Clone(s.arches)
	}
	if err := out.Validate(); err != nil {
		return nil, &profile.SyntaxError{File: p.file, Msg: err.Error(), Err: err}
	}
	return out, nil
}

// rulesFrom makes one rule per action other than def, sorted by action,
// with sorted names.
func rulesFrom(acts map[string]profile.Action, def profile.Action) []profile.Rule {
	byAct := map[profile.Action][]string{}
	for n, a := range acts {
		if a != def {
			byAct[a] = append(byAct[a], n)
		}
	}
	var keys []profile.Action
	for a := range byAct {
		keys = append(keys, a)
	}
	slices.SortFunc(keys, func(a, b profile.Action) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		return int(a.Data) - int(b.Data)
	})
	var rules []profile.Rule
	for _, a := range keys {
		names := byAct[a]
		slices.Sort(names)
		rules = append(rules, profile.Rule{Names: names, Action: a})
	}
	return rules
}

// Options control Format.
type Options struct {
	// Lossy writes the nearest settings that are never more permissive
	// when the profile has parts systemd cannot express, instead of
	// failing. The losses are returned either way.
	Lossy bool
	// Section is the unit section to write the settings in; "" writes
	// [Service].
	Section string
	// Version is the systemd the unit is written for (0: MinVersion):
	// names it cannot resolve are left out of what it allows (a loss)
	// and cannot be denied (a loss that even Lossy cannot write).
	// syscage knows the names systemd 252 resolves (Resolves), which
	// later versions also resolve.
	Version int
}

// Resolves reports whether systemd 252 resolves a system-call name: the
// libseccomp it asks (Debian 12's 2.5.4) knows it
// (data/libseccomp-unresolved.txt lists the names it does not).
// Parse ignores the others, as systemd does.
func Resolves(name string) bool { return knows(MinVersion, name) }

// MinVersion is the oldest systemd whose names Format knows.
const MinVersion = 252

//go:embed data/libseccomp-unresolved.txt
var unresolvedText string

var (
	unresolvedOnce sync.Once
	unresolved     map[string]bool
)

// knows reports whether systemd of version v resolves name (see
// Resolves).
func knows(_ int, name string) bool {
	unresolvedOnce.Do(func() {
		unresolved = map[string]bool{}
		for _, l := range strings.Split(unresolvedText, "\n") {
			if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
				unresolved[l] = true
			}
		}
	})
	return !unresolved[name]
}

// Format writes p as the system-call settings of a unit drop-in: a
// [Service] section with SystemCallArchitectures=, SystemCallErrorNumber=,
// SystemCallFilter= and SystemCallLog= as needed. A profile whose default
// allows (or logs) becomes a deny list, any other an allow list (whose
// calls of @default that the profile denies are taken out again with a
// "~" assignment). Names are compressed into the groups whose every
// member the same assignment lists, which is exact. Names no architecture
// has are left out: they decide nothing, and Parse refuses them.
//
// It lists what systemd cannot express: argument conditions, includes
// and excludes, the actions KILL_THREAD, TRAP, TRACE and USER_NOTIF,
// ERRNO(0) as the default, flags, a listener, and an archMap other than
// LocalArchMap. Unless o.Lossy, any loss is a *profile.LossError and
// nothing is written. With o.Lossy the nearest settings that are never
// more permissive are written: a call with conditional rules gets the
// strictest action it could get, KILL_THREAD and TRAP become kill,
// TRACE and USER_NOTIF errno ENOSYS, ERRNO(0) as the default kill; an
// unknown archMap becomes SystemCallArchitectures=native.
func Format(p *profile.Profile, o Options) ([]byte, []profile.Loss, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("format systemd: %w", err)
	}
	if o.Version == 0 {
		o.Version = MinVersion
	}
	if o.Version < MinVersion {
		return nil, nil, fmt.Errorf("format systemd: %w: syscage knows the system-call names of systemd %d and later, not of %d", profile.ErrNotExpressible, MinVersion, o.Version)
	}
	fatal := false
	var losses []profile.Loss
	loss := func(rule int, format string, args ...any) {
		losses = append(losses, profile.Loss{Rule: rule, What: fmt.Sprintf(format, args...)})
	}
	if len(p.Flags) > 0 {
		loss(0, "systemd sets no filter flags (%s); dropped", strings.Join(p.Flags, ", "))
	}
	if p.ListenerPath != "" || p.ListenerMetadata != "" {
		loss(0, "systemd has no notification listener; dropped")
	}

	var archLine string
	switch {
	case len(p.ArchMap) > 0:
		if !sameCoverage(p.ArchMap, LocalArchMap) {
			loss(0, "systemd covers either the listed ABIs or every ABI of the host (LocalArchMap), not this archMap; written as SystemCallArchitectures=native")
			archLine = "native"
		}
	case len(p.Arches) == 0:
		archLine = "native"
	default:
		var ns []string
		for _, a := range p.Arches {
			n := archName(a)
			if n == "" {
				loss(0, "systemd has no architecture %s; dropped", a)
				continue
			}
			ns = append(ns, n)
		}
		archLine = strings.Join(ns, " ")
	}

	// The default.
	def := p.Default
	switch def.Kind {
	case profile.ActAllow, profile.ActLog, profile.ActKillProcess:
	case profile.ActErrno:
		if def.Data == 0 {
			def = profile.Action{Kind: profile.ActKillProcess}
			loss(0, "systemd cannot deny with errno 0 by default (SystemCallErrorNumber=0 means kill); written as kill")
		}
	default:
		def = nearest(def)
		loss(0, "systemd has no %s action; default written as %s", p.Default, def)
	}

	// Each name's action, as runc and libseccomp give it without
	// arguments: the first unconditional rule decides; conditional rules
	// before it make the outcome depend on arguments or the environment.
	decided := map[string]profile.Action{}
	possible := map[string][]profile.Action{}
	condRules := map[string][]int{}
	for i, r := range p.Rules {
		if r.Action == p.Default {
			continue
		}
		for _, n := range r.Names {
			if _, ok := decided[n]; ok {
				continue
			}
			if r.Conditional() {
				possible[n] = append(possible[n], r.Action)
				condRules[n] = append(condRules[n], i+1)
			} else {
				decided[n] = r.Action
			}
		}
	}
	var condNames []string
	for n := range possible {
		if _, ok := decided[n]; !ok {
			condNames = append(condNames, n)
		}
	}
	// In the profile's order: by the first rule that names the call.
	slices.SortFunc(condNames, func(a, b string) int {
		if d := condRules[a][0] - condRules[b][0]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	plan, err := planExec(p, condNames, p.Arches)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range condNames {
		var why []string
		for _, i := range condRules[n] {
			why = append(why, describe(p.Rules[i-1]))
		}
		if w, ok := plan.allow[n]; ok {
			decided[n] = profile.Action{Kind: profile.ActAllow}
			loss(0, "%s: systemd has no argument conditions (%s); %s", n, strings.Join(why, "; "), w)
			continue
		}
		a := p.Default
		for _, x := range possible[n] {
			a = profile.Stricter(a, x)
		}
		decided[n] = a
		loss(0, "%s: systemd has no argument conditions, includes or excludes (%s); written as %v, the strictest action it could get", n, strings.Join(why, "; "), nearest(a))
	}
	if len(plan.notFor) > 0 {
		var keep []string
		for _, w := range strings.Fields(archLine) {
			if a, ok := parseArch(w); !ok || !slices.Contains(plan.notFor, a) {
				keep = append(keep, w)
			}
		}
		var left []string
		for _, a := range plan.notFor {
			left = append(left, a.String())
		}
		loss(0, "%s left out of %s= (their calls are killed): systemd applies %s otherwise there", strings.Join(left, ", "), keyArches, strings.Join(plan.why, ", "))
		archLine = strings.Join(keep, " ")
	}

	// What libseccomp makes of the rules on each ABI can be stricter than
	// that reading: on 32-bit ABIs a condition may compare nothing, and a
	// conditional rule then decides the call before a later unconditional
	// one. Take the strictest action the call can get on any ABI.
	for _, a := range p.Arches {
		if len(p.ArchMap) > 0 || p.Conditional() {
			break
		}
		t, err := p.Table(a, profile.TableOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("format systemd: %w", err)
		}
		// strictest is the strictest action entry nr gives calls whose
		// first argument may be call (any, when call < 0).
		strictest := func(nr uint32, call int64) (profile.Action, bool) {
			e, ok := t.Lookup(nr)
			if !ok {
				return profile.Action{}, false
			}
			if len(e.Rules) == 0 {
				return e.Action, true
			}
			// The rules are tried in order: those that may match, up to
			// the first that surely does, then the fallback.
			var x profile.Action
			stricter := func(a profile.Action) {
				if x.Kind == 0 {
					x = a
				} else {
					x = profile.Stricter(x, a)
				}
			}
			for _, r := range e.Rules {
				applies, surely := true, call >= 0
				for _, c := range r.Conds {
					if c.Arg != 0 || call < 0 {
						surely = false
					} else if !c.Match(uint64(call)) {
						applies = false
					}
				}
				if applies {
					stricter(r.Action)
					if surely {
						return x, true
					}
				}
			}
			stricter(e.Fallback)
			return x, true
		}
		for _, n := range slices.Sorted(maps.Keys(decided)) {
			if _, ok := plan.allow[n]; ok {
				continue // proven by planExec on every ABI
			}
			d := decided[n]
			var xs []profile.Action
			if nr, ok := a.SyscallNumber(n); ok {
				if x, ok := strictest(nr, -1); ok {
					xs = append(xs, x)
				}
			}
			// Through socketcall or ipc the call also meets the rules of
			// the multiplexer and of the other calls it carries.
			if mx, ok := a.Multiplexed(n); ok {
				if x, ok := strictest(mx.Nr, int64(mx.Call)); ok {
					xs = append(xs, x)
				}
			}
			for _, x := range xs {
				if s := profile.Stricter(d, x); s != d {
					decided[n] = s
					loss(0, "%s: on %s libseccomp gives it %v, stricter than the rules read without arguments (%v); written as %v", n, a, x, d, s)
					d = s
				}
			}
		}
	}

	// Map the actions to what systemd has.
	acts := map[string]profile.Action{}
	lossyActs := map[int]bool{}
	unknown := map[string]bool{}
	for i, r := range p.Rules {
		for _, n := range r.Names {
			a, ok := decided[n]
			if !ok || !knownSyscall(n) {
				// A name no architecture has decides nothing (runc and
				// libseccomp skip it) and Parse refuses it: left out.
				continue
			}
			if !knows(o.Version, n) {
				if !unknown[n] {
					unknown[n] = true
					who := fmt.Sprintf("systemd %d cannot resolve the name", o.Version)
					if o.Version != MinVersion {
						who = fmt.Sprintf("systemd %d (the newest whose names syscage knows; written for %d) cannot resolve the name", MinVersion, o.Version)
					}
					switch {
					case a == def:
					case profile.Stricter(a, def) == a:
						fatal = true
						loss(0, "%s: %s, so it cannot give it %v; a unit for a newer systemd can", n, who, a)
					default:
						loss(0, "%s: %s; left out, so it gets the default %v", n, who, def)
					}
				}
				continue
			}
			switch a.Kind {
			case profile.ActKillThread, profile.ActTrap, profile.ActTrace, profile.ActUserNotif:
				b := nearest(a)
				if !lossyActs[i] && a == r.Action {
					lossyActs[i] = true
					loss(i+1, "systemd has no %s action; written as %s", a, b)
				}
				a = b
			}
			acts[n] = a
		}
	}

	var b bytes.Buffer
	section := o.Section
	if section == "" {
		section = "Service"
	}
	fmt.Fprintf(&b, "[%s]\n", section)
	if archLine != "" {
		fmt.Fprintf(&b, "%s=%s\n", keyArches, archLine)
	}
	for _, l := range plan.lines {
		fmt.Fprintf(&b, "%s\n", l)
	}
	// What the settings also deny of calls the profile lets run.
	for _, g := range plan.x.gates() {
		if _, ok := plan.allow[g.name]; ok || !knownSyscall(g.name) {
			continue
		}
		if a, ok := acts[g.name]; (ok && permits(a)) || (!ok && permits(def)) {
			loss(0, "%s: %s also denies it (%v) under some arguments", g.name, strings.Join(plan.lines, ", "), g.act)
		}
	}
	classes := map[profile.Action][]string{}
	for n, a := range acts {
		if a != def {
			classes[a] = append(classes[a], n)
		}
	}
	allowKind := profile.Action{Kind: profile.ActAllow}
	logKind := profile.Action{Kind: profile.ActLog}
	killKind := profile.Action{Kind: profile.ActKillProcess}
	var filterLines, logLines []string
	denyClasses := func(denyDefault profile.Action) {
		var keys []profile.Action
		for a := range classes {
			if a.Kind == profile.ActErrno || a.Kind == profile.ActKillProcess {
				keys = append(keys, a)
			}
		}
		slices.SortFunc(keys, func(a, b profile.Action) int {
			if a.Kind != b.Kind {
				return int(a.Kind) - int(b.Kind)
			}
			return int(a.Data) - int(b.Data)
		})
		for _, a := range keys {
			suffix := ""
			switch {
			case a == denyDefault:
			case a.Kind == profile.ActKillProcess:
				suffix = ":kill"
			default:
				suffix = ":" + errnoName(a.Data)
			}
			var ws []string
			for _, w := range compress(classes[a], nil) {
				ws = append(ws, w+suffix)
			}
			filterLines = append(filterLines, "~"+strings.Join(ws, " "))
		}
	}
	switch def.Kind {
	case profile.ActAllow, profile.ActLog:
		// A deny list; unset SystemCallErrorNumber= kills.
		denyClasses(killKind)
		if def.Kind == profile.ActAllow {
			if ns := classes[logKind]; len(ns) > 0 {
				logLines = append(logLines, strings.Join(compress(ns, nil), " "))
			}
		} else {
			ns := classes[allowKind]
			if len(ns) == 0 {
				loss(0, "systemd cannot log every call (SystemCallLog=~ with nothing listed logs nothing); logging dropped")
			} else {
				logLines = append(logLines, "~"+strings.Join(compress(ns, nil), " "))
			}
		}
	default:
		// An allow list.
		if def.Kind == profile.ActErrno {
			fmt.Fprintf(&b, "%s=%s\n", keyErrno, errnoName(def.Data))
		}
		allowed := append(slices.Clone(classes[allowKind]), classes[logKind]...)
		dflt := knownMembers("@default")
		var extra, removed []string
		for _, n := range allowed {
			if !slices.Contains(dflt, n) {
				extra = append(extra, n)
			}
		}
		for _, n := range dflt {
			if !knows(o.Version, n) {
				continue // systemd's own @default skips it
			}
			if a, ok := acts[n]; !ok || a == def {
				removed = append(removed, n)
			}
		}
		if len(extra) == 0 {
			filterLines = append(filterLines, "@default")
		} else {
			filterLines = append(filterLines, strings.Join(compress(extra, nil), " "))
		}
		if len(removed) > 0 {
			filterLines = append(filterLines, "~"+strings.Join(compress(removed, nil), " "))
		}
		denyClasses(def)
		if ns := classes[logKind]; len(ns) > 0 {
			logLines = append(logLines, strings.Join(compress(ns, nil), " "))
		}
	}
	for _, l := range filterLines {
		fmt.Fprintf(&b, "%s=%s\n", keyFilter, l)
	}
	for _, l := range logLines {
		fmt.Fprintf(&b, "%s=%s\n", keyLog, l)
	}
	if archLine == "" && len(filterLines) == 0 && len(logLines) == 0 {
		// No filter at all, said explicitly: Parse refuses a unit
		// without seccomp settings.
		fmt.Fprintf(&b, "%s=\n", keyFilter)
	}
	// In the profile's order: the whole profile first, then by rule.
	slices.SortStableFunc(losses, func(a, b profile.Loss) int { return a.Rule - b.Rule })
	if len(losses) > 0 && (!o.Lossy || fatal) {
		return nil, losses, &profile.LossError{Format: "systemd", Losses: losses}
	}
	return b.Bytes(), losses, nil
}

// nearest is the action systemd has that is closest to a and never more
// permissive.
func nearest(a profile.Action) profile.Action {
	switch a.Kind {
	case profile.ActKillThread, profile.ActTrap:
		return profile.Action{Kind: profile.ActKillProcess}
	case profile.ActTrace, profile.ActUserNotif:
		return profile.Action{Kind: profile.ActErrno, Data: enosys}
	}
	return a
}

func describe(r profile.Rule) string {
	var parts []string
	for _, c := range r.Conds {
		parts = append(parts, c.String())
	}
	if !r.Includes.IsZero() {
		parts = append(parts, "includes")
	}
	if !r.Excludes.IsZero() {
		parts = append(parts, "excludes")
	}
	return strings.Join(parts, ", ")
}

// compress writes names as groups where a group's every (known) member is
// among them, largest groups first, and the rest as names, sorted.
func compress(names []string, _ []string) []string {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	type cand struct {
		name    string
		members []string
	}
	var cands []cand
	for _, g := range GroupNames() {
		if g == "@known" || g == "@default" {
			continue
		}
		ms := knownMembers(g)
		if len(ms) < 2 {
			continue
		}
		cands = append(cands, cand{g, ms})
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return len(b.members) - len(a.members) })
	covered := map[string]bool{}
	var groups []string
	for _, c := range cands {
		all, fresh := true, 0
		for _, m := range c.members {
			if !set[m] {
				all = false
				break
			}
			if !covered[m] {
				fresh++
			}
		}
		if !all || fresh == 0 {
			continue
		}
		groups = append(groups, c.name)
		for _, m := range c.members {
			covered[m] = true
		}
	}
	// Systemd's order for the groups, then the names.
	order := map[string]int{}
	for i, g := range GroupNames() {
		order[g] = i
	}
	slices.SortFunc(groups, func(a, b string) int { return order[a] - order[b] })
	var rest []string
	for n := range set {
		if !covered[n] {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(groups, rest...)
}

var (
	membersOnce sync.Once
	members     map[string][]string
)

// knownMembers is a group's expansion without the names no ABI has.
func knownMembers(g string) []string {
	membersOnce.Do(func() {
		members = map[string][]string{}
		for _, name := range GroupNames() {
			ms, _ := Expand(name)
			out := ms[:0]
			for _, m := range ms {
				if knownSyscall(m) {
					out = append(out, m)
				}
			}
			members[name] = out
		}
	})
	return members[g]
}

// sameCoverage reports whether two archMaps give every host the same
// ABIs.
func sameCoverage(a, b []profile.ArchMapEntry) bool {
	for _, h := range arch.All() {
		if !slices.Equal(coverage(a, h), coverage(b, h)) {
			return false
		}
	}
	return true
}

func coverage(m []profile.ArchMapEntry, host arch.Arch) []arch.Arch {
	for _, e := range m {
		if e.Arch == host {
			s := append([]arch.Arch{host}, e.Sub...)
			slices.Sort(s)
			return slices.Compact(s)
		}
	}
	return []arch.Arch{host}
}
