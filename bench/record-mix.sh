#!/bin/sh
# Records the realistic x86_64 syscall mix used to weigh and benchmark
# compiled filters: strace -f -c over five everyday workloads, summed.
# Usage: record-mix.sh OUTFILE   (needs strace, python3, curl or wget, tar, gzip, grep, find)
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { strace -f -qq -c -U name,calls -o "$tmp/$1.txt" -- sh -c "$2" >/dev/null 2>&1 || true; }
# 1. a web server answering 200 requests
python3 -m http.server 18931 --bind 127.0.0.1 --directory /usr/share/doc >/dev/null 2>&1 &
srv=$!
sleep 1
strace -f -qq -c -U name,calls -o "$tmp/http.txt" -p $srv &
tr=$!
sleep 0.5
i=0; while [ $i -lt 200 ]; do python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:18931/').read()" >/dev/null 2>&1 || true; i=$((i+1)); [ $i -ge 20 ] && break; done
for i in $(seq 200); do exec 3<>/dev/tcp/127.0.0.1/18931 2>/dev/null || break; printf 'GET / HTTP/1.0\r\n\r\n' >&3; cat <&3 >/dev/null; exec 3>&-; done 2>/dev/null || true
kill $tr 2>/dev/null; sleep 0.5; kill $srv 2>/dev/null || true
# 2. compress a directory tree
run tar "tar czf $tmp/doc.tgz -C /usr/share doc"
# 3. search source files
run grep "find /usr/include -name '*.h' | xargs grep -l seccomp"
# 4. a Python program doing file and JSON work
run python "python3 -c 'import json,os,glob; [json.dumps(os.stat(p).st_size) for p in glob.glob(\"/usr/lib/python3*/*.py\", recursive=True)]'"
# 5. a shell pipeline
run shell "for i in \$(seq 300); do echo \$i; done | sort -n | uniq | wc -l; ls -la /etc >/dev/null; cat /etc/passwd | cut -d: -f1 | sort >/dev/null"
cat "$tmp"/*.txt | awk '$1 != "total" && $1 ~ /^[a-z_0-9]+$/ && $2 ~ /^[0-9]+$/ { n[$1] += $2 } END { for (k in n) print k, n[k] }' | sort -k2,2nr -k1,1 > "$out"
