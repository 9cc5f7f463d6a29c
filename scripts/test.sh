#!/bin/sh
# The whole test suite, as the README gives it and CI runs it.
# Installs what the tests need when it is missing (as root, with apt-get),
# then runs the generated-files check, gofmt, go vet (also for darwin/amd64,
# linux/arm64, linux/s390x and linux/386), staticcheck and the
# tests, including the differential tests against libseccomp. Every step
# runs even when an earlier one fails; the failed steps are listed at the
# end, and the exit status is 1 if there is any.
set -eu
cd "$(dirname "$0")/.."
self=$(pwd)/scripts/test.sh

# step NAME COMMAND...: run one step, noting its failure and how long
# it took.
step() {
	name=$1
	shift
	echo "== $name"
	t0=$(date +%s)
	if ! "$@"; then
		echo "test.sh: FAILED: $name" >&2
		echo "  $name" >>"$SYSCAGE_TEST_FAILS"
	fi
	echo "== $(($(date +%s) - t0)) s: $name"
}

generated() {
	go generate ./... || return
	if ! git diff --quiet -- '*.go' 2>/dev/null; then
		git --no-pager diff --stat -- '*.go'
		echo "test.sh: regenerating changed committed files; run 'go generate ./...' and commit" >&2
		return 1
	fi
}
gofmtcheck() {
	bad=$(gofmt -l $(git ls-files '*.go')) || return
	if [ -n "$bad" ]; then echo "gofmt would change: $bad" >&2; return 1; fi
}
vet() {
	rc=0
	go vet -tags libseccomp ./... || rc=1
	go vet ./... || rc=1
	# Every package builds and vets where syscage does not run programs,
	# and on the other Linux machines it supports.
	for p in darwin/amd64 linux/arm64 linux/s390x linux/386; do
		GOOS=${p%/*} GOARCH=${p#*/} go vet ./... || { echo "go vet for $p failed" >&2; rc=1; }
	done
	return $rc
}
staticchecks() {
	rc=0
	staticcheck -tags libseccomp ./... || rc=1
	staticcheck ./... || rc=1
	return $rc
}
# racepkgs prints the packages whose tests can run goroutines: a go
# statement in the package or its tests, or in a package of this module
# they import. The race detector runs on those; the others, where it has
# nothing to watch and only slows the tests several times, run without.
racepkgs() {
	mod=$(go list -m) || return
	gostmt='^[[:space:]]*go [[:alnum:]_.(]'
	own=$(grep -rlE "$gostmt" --include='*.go' . | sed 's#^\./##; s#/[^/]*$##' | sort -u)
	lib=$(grep -rlE "$gostmt" --include='*.go' --exclude='*_test.go' . | sed 's#^\./##; s#/[^/]*$##' | sort -u)
	go list -tags libseccomp -test -f '{{.ImportPath}} {{join .Deps " "}}' ./... | while read -r bin deps; do
		case $bin in *.test) ;; *) continue ;; esac
		pkg=${bin%.test}
		dirs=$lib
		for d in $pkg $deps; do
			case $d in "$mod"/*) ;; *) continue ;; esac
			[ "$d" = "$pkg" ] && dirs=$own
			if printf '%s\n' "$dirs" | grep -qxF "${d#"$mod"/}"; then
				echo "$pkg"
				break
			fi
			dirs=$lib
		done
	done
}
# sized prints "DIR TEST" for every test whose size depends on the race
# detector: the property tests (proftest.NewProperty names its test)
# and the tests that read testenv.Race. Under the race detector, which
# makes code that only computes about ten times slower, they check
# fewer cases; the full size runs without it.
sized() {
	{
		grep -rEo --include='*_test.go' 'NewProperty\("[^"]*", "Test[[:alnum:]_]*"' . |
			sed -E 's#^\./(.*)/[^/]*:.*"(Test[[:alnum:]_]*)"$#\1 \2#'
		for f in $(grep -rl --include='*_test.go' 'testenv\.Race' .); do
			awk -v dir="$(dirname "${f#./}")" '/^func Test/ { name = $2; sub(/\(.*/, "", name) }
				/testenv\.Race/ && name != "" { print dir, name }' "$f"
		done
	} | sort -u
}
# longestfirst reads package paths and prints them, the ones with the
# most test code (Go tests and scripts) first: go test starts packages in
# the order it is given them, and a long package started last would run
# alone at the end. It only orders: a package it cannot measure stays,
# last.
longestfirst() {
	while read -r pkg; do
		n=0
		if dir=$(go list -f '{{.Dir}}' "$pkg"); then
			n=$(cat "$dir"/*_test.go "$dir"/testdata/script/*.txtar 2>/dev/null | wc -c)
		fi
		echo "$n $pkg"
	done | sort -rn | cut -d' ' -f2
}
# gotest PACKAGES FLAG...: go test FLAGs PACKAGES (a list split at
# white space), unless the list is empty.
gotest() {
	pkgs=$1
	shift
	[ -n "$pkgs" ] || return 0
	go test "$@" $pkgs
}

# TestLibseccompRandom and TestLibseccompValidate share one run over
# random profiles, and TestLibseccompRandomOverlap (rules of different
# actions overlapping on one system call) makes another: their full size
# (10,000 profiles each) without the race detector, which makes them ~10x
# slower, and a smaller size with it.
random='TestLibseccompRandom|TestLibseccompRandomOverlap|TestLibseccompValidate'

# computing PACKAGE...: the checks, and the tests of PACKAGEs, that only
# compute; the script runs them in a session of their own beside the
# tests that wait on children and the kernel (see below).
if [ "${1:-}" = --computing ]; then
	shift
	step "go vet" vet
	step "staticcheck" staticchecks
	step "go test (packages without goroutines)" gotest "$*" -tags libseccomp -timeout 30m -skip "$random"
	# The tests that run fewer cases under the race detector (see
	# sized) run at full size here, for the packages that run under it.
	full=$(sized | while read -r dir test; do
		case " $* " in *" $(go list -m)/$dir "*) ;; *) echo "$dir $test" ;; esac
	done)
	if [ -n "$full" ]; then
		step "tests that run fewer cases under the race detector, at full size:$(echo "$full" | cut -d' ' -f2 | sort -u | sed 's/^/ /' | tr -d '\n')" \
			go test -tags libseccomp -timeout 20m -run "^($(echo "$full" | cut -d' ' -f2 | sort -u | paste -sd'|'))\$" $(echo "$full" | cut -d' ' -f1 | sort -u | sed 's#^#./#; s#$#/#')
	fi
	step "differential test against libseccomp, race detector on: 300 random profiles" \
		go test -race -tags libseccomp -timeout 20m -run "^($random)\$" ./seccomp/ -libseccomp.n=300
	step "differential test against libseccomp: 10,000 random profiles, plain and with overlapping rules" \
		go test -tags libseccomp -timeout 30m -run "^($random)\$" ./seccomp/ -libseccomp.n=10000
	exit 0
fi

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
want /usr/include/seccomp.h libseccomp-dev    # differential tests: cgo against libseccomp
want gcc gcc
want strace strace                            # record: completeness against strace -f -c
want runc runc                                # real containers under converted profiles
want /bin/busybox busybox-static              # the containers' rootfs
want systemd-analyze systemd                  # groups against systemd-analyze syscall-filter
want python3 python3
want sqlite3 sqlite3                          # analyze: recall of the static analysis on a real program
# i386 programs for the int 0x80 tests: gcc -m32 -static needs both.
want /usr/lib/gcc/x86_64-linux-gnu/12/32/crtbegin.o gcc-multilib
want /usr/lib32/libc.a libc6-dev-i386
# arm64 programs for the static analysis of aarch64 code (analyze).
want aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
want /usr/aarch64-linux-gnu/lib/libc.so.6 libc6-dev-arm64-cross
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

SYSCAGE_TEST_FAILS=$(mktemp)
log=$(mktemp)
export SYSCAGE_TEST_FAILS
trap 'rm -f "$SYSCAGE_TEST_FAILS" "$log"' EXIT
step "generated files" generated
step "gofmt" gofmtcheck
export SYSCAGE_REQUIRE_TOOLS=1
racy=$(racepkgs) && racy=$(echo "$racy" | longestfirst) || { echo "test.sh: cannot list the packages" >&2; exit 1; }
plain=$(go list ./... | grep -vxF "$racy") || true
# The tests under the race detector spend much of their time waiting on
# children and the kernel; the checks and tests that only compute run
# beside them, at a lower priority, on the CPU they leave idle. Their
# output follows. They run in a session of their own (setsid), which an
# interrupted run ends as a whole.
setsid nice -n 10 "$self" --computing $plain >"$log" 2>&1 &
bg=$!
trap 'kill -TERM -$bg 2>/dev/null || true; rm -f "$SYSCAGE_TEST_FAILS" "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
step "go test, race detector on (packages with goroutines)" \
	gotest "$racy" -race -tags libseccomp -timeout 30m -skip "$random"
wait $bg || echo "  the checks beside the tests (exit status $?)" >>"$SYSCAGE_TEST_FAILS"
cat "$log"
if [ -s "$SYSCAGE_TEST_FAILS" ]; then
	echo "test.sh: failed:" >&2
	cat "$SYSCAGE_TEST_FAILS" >&2
	exit 1
fi
echo "test.sh: all passed"
