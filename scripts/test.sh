#!/bin/sh
# The whole test suite, as the README gives it and CI runs it.
# Installs what the tests need when it is missing (as root, with apt-get),
# then runs the generated-files check, gofmt, go vet, staticcheck and the
# tests, including the differential tests against libseccomp.
set -eu
cd "$(dirname "$0")/.."

need=""
# want FILE-OR-COMMAND PACKAGE: install PACKAGE unless the command is on
# PATH or the file exists.
want() {
	case $1 in
	/*) [ -e "$1" ] && return ;;
	*) command -v "$1" >/dev/null 2>&1 && return ;;
	esac
	need="$need $2"
}
want scmp_sys_resolver seccomp                # differential tests: libseccomp's resolver
want /usr/include/seccomp.h libseccomp-dev    # differential tests: cgo against libseccomp
want gcc gcc
want strace strace                            # record: completeness against strace -f -c
want runc runc                                # real containers under converted profiles
want /bin/busybox busybox-static              # the containers' rootfs
want systemd-analyze systemd                  # groups against systemd-analyze syscall-filter
want python3 python3
# i386 programs for the int 0x80 tests: gcc -m32 -static needs both.
want /usr/lib/gcc/x86_64-linux-gnu/12/32/crtbegin.o gcc-multilib
want /usr/lib32/libc.a libc6-dev-i386
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "test.sh: missing Debian packages:$need (run as root to install them)" >&2
		exit 1
	fi
	echo "test.sh: installing$need" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
export PATH="$PATH:$(go env GOPATH)/bin"
command -v staticcheck >/dev/null 2>&1 || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2

echo "== generated files"
go generate ./...
if ! git diff --quiet -- '*.go' 2>/dev/null; then
	git --no-pager diff --stat -- '*.go'
	echo "test.sh: regenerating changed committed files; run 'go generate ./...' and commit" >&2
	exit 1
fi
echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$bad" ]; then echo "gofmt would change: $bad" >&2; exit 1; fi
echo "== go vet"
go vet ./...
go vet -tags libseccomp ./...
echo "== staticcheck"
staticcheck ./...
staticcheck -tags libseccomp ./...
export SYSCAGE_REQUIRE_TOOLS=1
echo "== go test (race detector on)"
# The random differential test against libseccomp runs its full size
# (10,000 profiles) without the race detector, which makes it ~10x slower,
# and a smaller size with it.
go test -race -tags libseccomp -timeout 30m -skip 'TestLibseccompRandom' ./...
go test -race -tags libseccomp -timeout 20m -run 'TestLibseccompRandom' ./seccomp/ -libseccomp.n=300
echo "== differential test against libseccomp: 10,000 random profiles, plain and with overlapping rules"
go test -tags libseccomp -timeout 30m -run 'TestLibseccompRandom' ./seccomp/ -libseccomp.n=10000
echo "test.sh: all passed"
