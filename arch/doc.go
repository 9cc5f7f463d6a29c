// Package arch knows Linux's system-call ABIs as seccomp sees them: each
// ABI's audit value (seccomp_data.arch), its names in every spelling
// (libseccomp's SCMP_ARCH_*, Go's GOARCH, systemd's, moby's), word size
// and byte order, its compat ABIs, the socketcall and ipc multiplexers,
// and its system-call table (name to number and back) and argument types.
//
// The tables are generated (zsyscalls.go, zargs.go) from pinned inputs in
// data/ by the commands under internal/; `go generate` rebuilds them and
// CI fails when that changes anything. The package uses only the standard
// library.
package arch
