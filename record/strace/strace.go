// Package strace reads the output of strace into a record.Recording: the
// system calls a traced program made, per ABI.
//
// Read understands what strace writes with and without -f, in one file or
// one per process (-ff -o PREFIX: PREFIX.PID): lines with or without a
// process id ("[pid 42] ", "42 "), with timestamps (-t, -tt, -ttt, -r),
// instruction pointers (-i), stack traces (-k), interrupted calls
// ("<unfinished ...>" and "<... NAME resumed>"), signals ("--- SIGCHLD"),
// exits ("+++ exited with 0 +++"), strace's own messages ("strace: Process
// 42 attached"), the personality changes it reports ("[ Process PID=42 runs
// in 32 bit mode. ]": the process's calls are then on x86, or x32) and the
// tables of strace -c (per mode). Unknown system calls print as
// "syscall_0x1b6" and are recorded by number.
//
// strace -o FILE leaves the personality notices out unless asked for
// (-e quiet=none). Without them, the calls a process made between two
// successful execve are taken as compat calls (x86 on x86_64) when one of
// them exists only in the compat table (ugetrlimit, _llseek, mmap2,
// socketcall, fstat64, ...).
//
// A line Read cannot make sense of, or that names a system call the ABI
// does not have, is reported as a *profile.SyntaxError (file:line: what)
// and skipped; the rest of the input is still read. An input whose first
// line holds a NUL byte (a program, a compressed file) is not read at all.
package strace

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/errs"
	"github.com/syscage/syscage/internal/lines"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// Read adds the system calls of the strace output r, named name in
// messages, to rec; rec.Native is the ABI of the traced machine. It
// returns the lines it skipped, each a *profile.SyntaxError, the first
// MaxSkipped of them by line and then a *MoreSkipped for the rest, and
// an error only when r cannot be read or is not text (a
// *profile.SyntaxError for line 1). A line longer than MaxLine is
// one of those skipped. Memory holds one line, the recording and what
// each process did since its last execve (each call once), however long
// r is.
func Read(rec *record.Recording, name string, r io.Reader) ([]error, error) {
	p := &parser{rec: rec, name: name, segs: map[int]*segment{}, cur: rec.Native}
	lr := lines.NewReader(r, MaxLine)
	var rerr error
	for {
		text, long, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = fmt.Errorf("read %s: %w", name, err)
			break
		}
		p.line = lr.Line()
		if p.line == 1 && strings.IndexByte(text, 0) >= 0 {
			// strace writes text (it escapes a NUL as \0): this is
			// another file, whose lines would be skipped one by one and
			// whose chance matches would be recorded.
			msg := "not strace output: a NUL byte on the first line (a binary file)"
			if strings.HasPrefix(text, "\x1f\x8b") {
				msg = "not strace output: gzip-compressed (decompress it first)"
			}
			rerr = &profile.SyntaxError{File: name, Line: 1, Msg: msg}
			break
		}
		if long {
			p.errorf("line longer than %d bytes: its system call is not recorded", MaxLine)
			continue
		}
		p.parse(text)
	}
	pids := make([]int, 0, len(p.segs))
	for pid := range p.segs {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	for _, pid := range pids {
		p.flush(p.segs[pid])
	}
	p.trim()
	skipped := p.skipped
	if p.more > 0 {
		skipped = append(skipped, &MoreSkipped{N: p.more})
	}
	return skipped, rerr
}

// MaxLine bounds one line of strace output: strace -s with a large size
// writes long strings, and nothing writes lines of many megabytes.
const MaxLine = 16 << 20

// MaxSkipped is how many skipped lines Read returns one by one.
const MaxSkipped = 100

// MoreSkipped ends the list of skipped lines when there are more than
// MaxSkipped: it stands for the others. It is audit's too.
type MoreSkipped = errs.MoreSkipped

// segment is what one process did between two successful execve: its
// calls wait there until its ABI is known.
type segment struct {
	abi   arch.Arch // from a personality notice, or Invalid
	calls []pending
	seen  map[string]bool // the names in calls: each once
}

type pending struct {
	name string
	line int
}

type parser struct {
	rec     *record.Recording
	name    string
	line    int
	skipped []error          // at most 2*MaxSkipped, then trimmed to the first by line
	more    int              // skipped lines trimmed away
	segs    map[int]*segment // the current segment of each process (0: lines without a pid)
	cur     arch.Arch        // the mode of the strace -c table being read
	summary bool             // inside a strace -c table
}

func (p *parser) errorf(format string, a ...any) {
	p.errorAt(p.line, format, a...)
}

func (p *parser) errorAt(line int, format string, a ...any) {
	p.skipped = append(p.skipped, &profile.SyntaxError{File: p.name, Line: line, Msg: fmt.Sprintf(format, a...)})
	if len(p.skipped) >= 2*MaxSkipped {
		p.trim()
	}
}

// trim keeps the first MaxSkipped skipped lines, by line (a process's
// calls are checked at its next execve, after later lines), and counts
// the rest.
func (p *parser) trim() {
	slices.SortStableFunc(p.skipped, func(a, b error) int {
		return cmp.Compare(a.(*profile.SyntaxError).Line, b.(*profile.SyntaxError).Line)
	})
	if len(p.skipped) > MaxSkipped {
		p.more += len(p.skipped) - MaxSkipped
		p.skipped = p.skipped[:MaxSkipped]
	}
}

func (p *parser) seg(pid int) *segment {
	s := p.segs[pid]
	if s == nil {
		s = &segment{}
		p.segs[pid] = s
	}
	return s
}

// pend notes a call of process pid.
func (p *parser) pend(pid int, name string) {
	s := p.seg(pid)
	if s.seen[name] {
		return
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[name] = true
	s.calls = append(s.calls, pending{name, p.line})
}

// flush decides the ABI of a segment and records its calls.
func (p *parser) flush(s *segment) {
	abi := s.abi
	if abi == arch.Invalid {
		abi = p.rec.Native
		if compat, ok := compatOf(p.rec.Native); ok {
			for _, c := range s.calls {
				if !known(p.rec.Native, c.name) && known(compat, c.name) {
					abi = compat
					break
				}
			}
		}
	}
	for _, c := range s.calls {
		p.add(abi, c.name, c.line)
	}
	s.calls = s.calls[:0]
	clear(s.seen)
}

func known(abi arch.Arch, name string) bool {
	if strings.HasPrefix(name, "syscall_") {
		return false
	}
	if _, ok := abi.SyscallNumber(name); ok {
		return true
	}
	_, ok := abi.Multiplexed(name)
	return ok
}

func (p *parser) parse(line string) {
	s := strings.TrimRight(line, " \t\r")
	if strings.TrimSpace(s) == "" {
		return
	}
	if p.summaryLine(s) {
		return
	}
	if strings.HasPrefix(s, " > ") || strings.HasPrefix(s, "strace: ") {
		return // -k stack frame; strace's own message
	}
	pid, s := cutPID(s)
	s = cutTimestamp(strings.TrimLeft(s, " "))
	s = cutIP(s)
	switch {
	case strings.HasPrefix(s, "[ Process PID="):
		p.personality(pid, s)
		return
	case strings.HasPrefix(s, "+++ "):
		// The process ended: its ABI can change no more, and its
		// calls need no memory.
		if seg, ok := p.segs[pid]; ok {
			p.flush(seg)
			delete(p.segs, pid)
		}
		return
	case strings.HasPrefix(s, "--- "):
		return // a signal
	case strings.HasPrefix(s, "<... "):
		name, _, ok := strings.Cut(s[len("<... "):], " resumed>")
		if !ok {
			p.errorf("malformed resumed call %q", clip(s))
			return
		}
		p.pend(pid, name)
		return
	}
	i := strings.IndexByte(s, '(')
	if i <= 0 || !isName(s[:i]) {
		p.errorf("not a system call line: %q", clip(line))
		return
	}
	if !strings.Contains(s[i:], ")") && !strings.HasSuffix(s, "<unfinished ...>") && !strings.HasSuffix(s, "...") {
		// strace prints each call on one line; a cut line cannot be
		// trusted.
		p.errorf("truncated system call line: %q", clip(line))
		return
	}
	p.pend(pid, s[:i])
	if s[:i] == "execve" || s[:i] == "execveat" {
		if strings.HasSuffix(s, " = 0") {
			// The calls after a successful execve are the new program's.
			seg := p.seg(pid)
			p.flush(seg)
			seg.abi = arch.Invalid
		}
	}
}

// add records name, or a syscall_NNN that strace could not name.
func (p *parser) add(abi arch.Arch, name string, line int) {
	if n, ok := strings.CutPrefix(name, "syscall_"); ok {
		nr, err := strconv.ParseUint(n, 0, 32)
		if err != nil {
			p.errorAt(line, "bad system-call number %q", name)
			return
		}
		if abi == arch.X32 {
			nr |= arch.X32SyscallBit
		}
		p.rec.Add(abi, uint32(nr), nil, false)
		return
	}
	if _, ok := abi.SyscallNumber(name); !ok {
		if _, ok := abi.Multiplexed(name); !ok {
			p.errorAt(line, "%s has no system call %q", abi, name)
			return
		}
	}
	p.rec.AddName(abi, name)
}

// personality reads "[ Process PID=42 runs in 32 bit mode. ]", printed
// before the first call in the new mode. linePID is the line's own
// process id, 0 in a trace without them.
func (p *parser) personality(linePID int, s string) {
	rest := strings.TrimPrefix(s, "[ Process PID=")
	num, rest, _ := strings.Cut(rest, " ")
	pid, err := strconv.Atoi(num)
	if err != nil {
		p.errorf("malformed personality line %q", clip(s))
		return
	}
	abi, ok := modeABI(p.rec.Native, rest)
	if !ok {
		p.errorf("unknown personality in %q", clip(s))
		return
	}
	if linePID == 0 {
		if _, ok := p.segs[pid]; !ok {
			pid = 0 // a trace without process ids
		}
	}
	seg := p.seg(pid)
	if seg.abi != abi && len(seg.calls) > 0 {
		p.flush(seg)
	}
	seg.abi = abi
}

// compatOf returns the compat ABI a process of native may switch to.
func compatOf(native arch.Arch) (arch.Arch, bool) {
	switch native {
	case arch.X86_64:
		return arch.X86, true
	case arch.AARCH64:
		return arch.ARM, true
	case arch.S390X:
		return arch.S390, true
	case arch.PPC64, arch.PPC64LE:
		return arch.PPC, true
	}
	return arch.Invalid, false
}

// modeABI maps strace's mode names to ABIs of a native ABI.
func modeABI(native arch.Arch, s string) (arch.Arch, bool) {
	switch {
	case strings.Contains(s, "x32 mode"):
		return arch.X32, native == arch.X86_64
	case strings.Contains(s, "32 bit mode"):
		return compatOf(native)
	case strings.Contains(s, "64 bit mode"):
		return native, true
	}
	return arch.Invalid, false
}

// summaryLine handles the tables of strace -c.
func (p *parser) summaryLine(s string) bool {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "System call usage summary for "):
		if a, ok := modeABI(p.rec.Native, t); ok {
			p.cur = a
		} else {
			p.errorf("unknown mode in %q", clip(t))
		}
		return true
	case strings.HasPrefix(t, "% time") || strings.HasPrefix(t, "calls") && strings.Contains(t, "syscall"):
		p.summary = true
		return true
	case !p.summary:
		return false
	case strings.HasPrefix(t, "------"):
		return true
	}
	f := strings.Fields(t)
	if len(f) < 3 {
		p.summary = false
		return false
	}
	name := f[len(f)-1]
	if name == "total" {
		p.summary = false
		return true
	}
	for _, n := range f[:len(f)-1] {
		if _, err := strconv.ParseFloat(n, 64); err != nil {
			p.summary = false
			return false
		}
	}
	if !isName(name) {
		p.errorf("not a system call in the summary: %q", clip(t))
		return true
	}
	p.add(p.cur, name, p.line)
	return true
}

// cutPID removes "[pid 42] " or "42 " (strace -f -o FILE).
func cutPID(s string) (int, string) {
	if rest, ok := strings.CutPrefix(s, "[pid "); ok {
		num, after, ok := strings.Cut(strings.TrimLeft(rest, " "), "]")
		if n, err := strconv.Atoi(num); ok && err == nil {
			return n, strings.TrimLeft(after, " ")
		}
		return 0, s
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && s[i] == ' ' {
		n, err := strconv.Atoi(s[:i])
		rest := strings.TrimLeft(s[i:], " ")
		// "1700000000.123456 " is a -ttt timestamp, not a pid.
		if err == nil && !strings.HasPrefix(rest, ".") {
			return n, rest
		}
	}
	return 0, s
}

// cutTimestamp removes a -t "12:34:56", -tt "12:34:56.123456", -ttt
// "1700000000.123456" or -r "0.000123" stamp.
func cutTimestamp(s string) string {
	i := strings.IndexByte(s, ' ')
	if i <= 0 {
		return s
	}
	stamp := s[:i]
	for _, c := range stamp {
		if (c < '0' || c > '9') && c != ':' && c != '.' {
			return s
		}
	}
	if !strings.ContainsAny(stamp, ":.") {
		return s
	}
	return strings.TrimLeft(s[i:], " ")
}

// cutIP removes a -i "[00007f0e12345678] ".
func cutIP(s string) string {
	if !strings.HasPrefix(s, "[") || strings.HasPrefix(s, "[ Process") {
		return s
	}
	end := strings.Index(s, "] ")
	if end < 0 {
		return s
	}
	for _, c := range s[1:end] {
		if !strings.ContainsRune("0123456789abcdefABCDEF?", c) {
			return s
		}
	}
	return strings.TrimLeft(s[end+2:], " ")
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
