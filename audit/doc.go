// Package audit reads the records the kernel writes when a seccomp filter
// logs or kills a system call (audit record type 1326, AUDIT_SECCOMP) and
// turns them into Events.
//
// The kernel writes one record per logged system call (audit_seccomp in
// kernel/auditsc.c):
//
//	type=1326 audit(1795984285.335:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=5452
//	  comm="gen" exe="/tmp/gen" sig=0 arch=c000003e syscall=63 compat=0 ip=0x40882e code=0x7ffc0000
//
// Where it lands depends on the system: with no audit daemon the kernel
// prints it to its log (/dev/kmsg, dmesg, syslog's kern.log, journald's
// kernel transport) as "audit: type=1326 audit(...): ..."; auditd writes it
// to audit.log as "type=SECCOMP msg=audit(...): ...", in its ENRICHED
// format followed by a 0x1d byte and interpreted fields (AUID="unset"
// UID="root" ARCH=x86_64 SYSCALL=uname); journald's audit transport keeps
// it as MESSAGE="SECCOMP auid=..." with the time in
// _SOURCE_REALTIME_TIMESTAMP and the serial in _AUDIT_ID. ParseLine reads
// a line of any of these, including the lines of `journalctl -o json`, and
// Reader reads a whole log, skipping lines that are not seccomp records.
//
// Which records exist at all is the kernel's choice (seccomp_log in
// kernel/seccomp.c): KILL_PROCESS, KILL_THREAD and LOG are logged when
// /proc/sys/kernel/seccomp/actions_logged lists them; TRAP, ERRNO, TRACE
// and USER_NOTIF only from filters installed with SECCOMP_FILTER_FLAG_LOG;
// ALLOW never. The record has the action without its data (code=0x50000
// for any ERRNO), and no system-call arguments. The kernel log is rate limited (printk_ratelimit), so a
// burst of violations may be summarized as "callbacks suppressed".
//
// Only the kernel's own records count. Any program can log the text of a
// record (logger, an audit USER message, journald's syslog transport), so
// a record is taken only where the line's header shows the kernel wrote
// it (see origin.go); the rest are *UntrustedError, which readers skip
// and callers report. A Reader holds at most one line of bounded length,
// whatever its input.
//
// Untrusted strings (comm, exe) are quoted when they are plain and
// hex-encoded when they hold a space, a quote or a control character
// (audit_log_n_untrustedstring); Events hold the decoded text.
//
// The ABI of a record is told by arch= (AUDIT_ARCH_*) and, for x86_64 and
// x32 which share it, by the x32 bit of the system-call number; compat=1
// marks a compat system call (x86 on x86_64, arm on aarch64), whose arch=
// is already the compat ABI's.
package audit
