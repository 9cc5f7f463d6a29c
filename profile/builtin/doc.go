// Package builtin holds the profiles syscage ships: Docker's default
// profile ("docker-default", moby's profiles/seccomp/default.json; see
// SOURCE) and "unconfined" (allow everything).
package builtin
