// Package containers checks, node-wide, that the seccomp filters the
// running containers of a node hold mean what their bundles ask for.
//
// Find reads the state directories of the OCI runtimes (runc's
// state.json, crun's status) under a list of roots, the ones runc, crun
// and the engines that drive them use by default (DefaultRoots): each
// container's init process, the time it started (so that a process that
// reuses the number of an ended one is not taken for it) and its bundle.
// Check dumps the filters of every thread of every process of a
// container (those of its PID namespace, or of its cgroup when it shares
// the host's), compiles the seccomp section of the bundle's config.json as
// the runtime loads it (with runc's ENOSYS stub for runc; without it for
// crun, which loads libseccomp's filter as it is; and without the names
// the runtime's libseccomp lacks: Libseccomp), and compares the two by
// meaning with inspect.Compare.
//
// The comparison is against config.json as it is when Check reads it:
// a config.json changed after the container started differs from what
// the kernel holds, and is reported so.
package containers
