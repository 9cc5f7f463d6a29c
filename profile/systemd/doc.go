// Package systemd reads and writes the system-call settings of systemd
// units (SystemCallFilter=, SystemCallErrorNumber=,
// SystemCallArchitectures=, SystemCallLog=) and knows systemd 252's
// system-call groups (@system-service, @privileged, ...).
//
// Parse merges the settings of a unit file, a drop-in or a bare value as
// systemd does, expanding groups, into a profile with one rule per
// action. Format writes the settings back, compressing names into groups
// where that is exact, and lists what systemd cannot express (argument
// conditions, some actions, conditional rules). Format(Parse(x)) is
// stable and Parse(Format(p)) equals p for the profiles Parse returns.
//
// The groups come from data/syscall-groups.txt, what systemd 252's
// `systemd-analyze syscall-filter` prints (see data/SOURCE); the tests
// compare them with the installed systemd-analyze.
//
// # Sections
//
// Units and drop-ins are read as systemd's config_parse reads them:
// comments (# or ; first), continued lines (a trailing backslash, comment
// lines inside skipped), sections by their case-sensitive names. The
// system-call settings count only in the exec section of the unit type
// ([Service], [Socket], [Mount] or [Swap], told by the file name: a unit
// such as app.socket, or a drop-in in app.socket.d/; any of them for
// other names, but only one per file). Elsewhere, before any section, in
// [Unit], [Install], an X- section or an unknown one, systemd ignores
// them, and so does Parse; ParseWarn returns a warning for each.
//
// # Differences from systemd
//
// systemd loads one filter per ABI, each allowing the other ABIs, and a
// separate filter for SystemCallArchitectures= that kills calls of ABIs
// not listed. The model has one filter whose bad-architecture action is
// libseccomp's (KILL_THREAD) and which always covers the native ABI.
// systemd ignores unknown names, groups and errnos with a warning; Parse
// refuses them, naming the word.
package systemd
