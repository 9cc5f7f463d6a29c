// Package oci reads and writes seccomp profiles in the JSON of the OCI
// runtime specification (linux.seccomp) and of Docker (moby's superset:
// archMap, includes and excludes, the deprecated "name", comments), and
// of containers/common (podman, CRI-O, Buildah: defaultErrno and errno
// names), each read as the program that enforces it reads it.
//
// Parse is strict and locates every error (*profile.SyntaxError,
// "file:line:col: message"); it also takes a whole OCI config.json. Format
// writes moby's layout, so that Format(Parse(x)) is x for moby's own
// profiles and Parse(Format(p)) equals p. DefaultCaps is the capability
// set Docker gives containers, the usual profile.Env.Caps for Docker's
// default profile.
package oci
