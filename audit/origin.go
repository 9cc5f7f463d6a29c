package audit

import (
	"fmt"
	"strconv"
	"strings"
)

// Any program can write text that looks like a seccomp record: logger(1)
// puts it in syslog and the journal, an audit USER message carries it in
// its msg='...', a program prints it to its own log. Such a line must
// not count: its comm, exe and pid are whatever the writer chose, so it
// would add calls to a harvested profile or blame another program in
// why. A record counts only where the line's own header shows that the
// kernel wrote it, as ausearch -m SECCOMP takes only records whose type
// is SECCOMP:
//
//   - /dev/kmsg: the record's facility is 0 (the kernel; the kernel gives
//     what programs write to /dev/kmsg facility 1 at least);
//   - dmesg(1): "[   142.752751] audit: type=1326 ..." (only root can
//     write to the kernel's log buffer);
//   - syslog and journalctl's short output: the tag is "kernel", without
//     the [PID] that journald adds to every message a process sends, in
//     a header that starts the line (journalctl indents the further lines
//     of a message, which a program can make say anything);
//   - audit.log: the line's own type is SECCOMP ("type=SECCOMP msg=audit(",
//     after auditd's optional "node=NAME ");
//   - journalctl -o json: _TRANSPORT=kernel with the kernel's line as
//     MESSAGE, or _TRANSPORT=audit with _AUDIT_TYPE=1326 (fields journald
//     sets itself, which a client cannot).
//
// journalctl's short output of the audit transport ("audit[PID]: SECCOMP
// auid=...") is refused: a program that logs with the tag "audit" writes
// the same line. journalctl -o json tells them apart.
//
// What a line cannot tell, no reader can: output that prints a message
// without its header (journalctl -o cat, dmesg -t) holds the records of
// whoever wrote a line that looks like one, and a syslog daemon that
// lets a program log with the tag "kernel" and no [PID] (logger -t
// kernel, in a file of every facility such as /var/log/syslog) writes
// lines the kernel's cannot be told from. journalctl -o json, auditd's
// audit.log, /dev/kmsg and dmesg carry the origin.

// UntrustedError reports a line that holds the text of a seccomp record
// but was not written by the kernel: a program logged it. Readers skip
// such lines; callers warn about them.
type UntrustedError struct {
	File string // name of the input
	Line int    // 1-based; 0 when unknown
	By   string // who wrote the line, as far as its header says
}

func (e *UntrustedError) Error() string {
	msg := fmt.Sprintf("seccomp record text in a line the kernel did not write (%s): ignored", e.By)
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	case e.File != "":
		return e.File + ": " + msg
	}
	return msg
}

// kind is the form of a seccomp record's text.
type kind int

const (
	kindKernel  kind = iota + 1 // "type=1326 audit(STAMP): ..."
	kindAuditd                  // "type=SECCOMP msg=audit(STAMP): ..."
	kindJournal                 // "SECCOMP auid=...": journald's audit transport, no stamp
)

// locate finds the seccomp record in a text line and checks that the
// line's header shows the kernel wrote it. It returns the byte offset of
// the record's fields (just past "audit(" for the stamped forms) and
// their form; kind 0 when the line holds no record. by is set when the
// line holds a record's text that the kernel did not write.
func locate(line string) (start int, k kind, by string) {
	// auditd's record starts the line: what follows it (the ENRICHED
	// part's names, which come from the user database) cannot change
	// whose it is.
	if rest := cutNode(line); strings.HasPrefix(rest, auditdMarker) {
		return len(line) - len(rest) + len(auditdMarker), kindAuditd, ""
	}
	if i := strings.Index(line, kernelMarker); i >= 0 {
		if by := kernelHeader(line[:i]); by != "" {
			return 0, 0, by
		}
		return i + len(kernelMarker), kindKernel, ""
	}
	if i := strings.Index(line, auditdMarker); i >= 0 {
		// Not at the start (that was taken above): quoted by another
		// record.
		return 0, 0, "an audit record of another type: " + typeOf(line)
	}
	if i := strings.Index(line, journalMarker); i >= 0 && (i == 0 || line[i-1] == ' ') {
		if i == 0 {
			return len("SECCOMP "), kindJournal, ""
		}
		return 0, 0, "journalctl's short output of the audit transport, which a program logging as \"audit\" writes alike; use journalctl -o json"
	}
	return 0, 0, ""
}

// cutNode removes auditd's "node=NAME " (name_format) from the start of
// a line.
func cutNode(line string) string {
	rest, ok := strings.CutPrefix(line, "node=")
	if !ok {
		return line
	}
	name, after, ok := strings.Cut(rest, " ")
	if !ok || name == "" || strings.ContainsAny(name, "\t=") {
		return line
	}
	return after
}

// typeOf names the audit record type a line starts with, for messages.
func typeOf(line string) string {
	f := strings.Fields(line)
	for _, w := range f {
		if t, ok := strings.CutPrefix(w, "type="); ok {
			return t
		}
	}
	return "unknown"
}

// kernelHeader checks what comes before "type=1326 audit(" in a line of
// the kernel's log and returns "" when it is the kernel's own header,
// else who wrote the line.
func kernelHeader(head string) string {
	if head != "" && (head[0] == ' ' || head[0] == '\t') {
		// Every header the kernel's lines have starts the line;
		// journalctl indents the further lines of a message, whatever
		// they say.
		return "an indented line, which journalctl prints for the further lines of a program's message"
	}
	rest, ok := strings.CutSuffix(head, "audit: ")
	if !ok {
		if head == "" {
			return "" // the bare record, as the audit netlink socket gives it
		}
		return "text before the record: " + strconv.Quote(clip(head))
	}
	if rest == "" {
		return ""
	}
	// /dev/kmsg: "PRIO,SEQ,USEC,FLAGS[,...];".
	if pre, ok := strings.CutSuffix(rest, ";"); ok && !strings.ContainsAny(pre, " ;") {
		prio, _, _ := strings.Cut(pre, ",")
		n, err := strconv.ParseUint(prio, 10, 32)
		switch {
		case err != nil:
			return "a kernel log record without a priority"
		case n>>3 != 0:
			return fmt.Sprintf("a kernel log record of facility %d, written by a program", n>>3)
		}
		return ""
	}
	// dmesg's time stamp, syslog's "[ 142.75] " after the tag.
	rest = stripStamp(rest)
	if rest == "" {
		return ""
	}
	// dmesg -x: "kern  :notice: ".
	if fac, _, ok := strings.Cut(rest, ":"); ok && strings.TrimSpace(fac) == "kern" && strings.Count(rest, ":") == 2 && strings.HasSuffix(rest, ": ") {
		return ""
	}
	// syslog and journalctl: "DATE HOST kernel: ".
	hdr, ok := strings.CutSuffix(rest, " kernel: ")
	if !ok {
		return "syslog tag " + strconv.Quote(clip(lastTag(rest)))
	}
	for _, w := range strings.Fields(hdr) {
		if strings.HasSuffix(w, ":") || strings.ContainsAny(w, "[]") {
			return "syslog tag " + strconv.Quote(clip(lastTag(rest)))
		}
	}
	return ""
}

// stripStamp removes a trailing "[ 142.752751] " (or dmesg -T's
// "[Sun Nov 29 20:35:29 2026] ").
func stripStamp(s string) string {
	t, ok := strings.CutSuffix(s, "] ")
	if !ok {
		return s
	}
	i := strings.LastIndexByte(t, '[')
	if i < 0 || strings.ContainsRune(t[i+1:], ']') {
		return s
	}
	return t[:i]
}

// lastTag returns the syslog tag of a header: its last word ending in ":".
func lastTag(s string) string {
	f := strings.Fields(s)
	for i := len(f) - 1; i >= 0; i-- {
		if strings.HasSuffix(f[i], ":") {
			return strings.TrimSuffix(f[i], ":")
		}
	}
	return strings.TrimSpace(s)
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
