package systemd_test

import (
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/formattest"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/systemd"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRoundTrip checks Format(Parse(x)) against testdata/x.golden, that
// Format is stable on its own output, and Parse(Format(p)) == p.
func TestRoundTrip(t *testing.T) {
	formattest.RoundTrip(t, formattest.Glob(t, "testdata/*"),
		func(f string) string { return f + ".golden" }, *update, 4,
		formattest.Codec[struct{}]{
			Parse: formattest.NoMeta(systemd.Parse),
			Format: func(p *profile.Profile, _ struct{}) ([]byte, error) {
				return formattest.Lossless(systemd.Format(p, systemd.Options{}))
			},
		})
}

func action(t *testing.T, p *profile.Profile, name string) profile.Action {
	t.Helper()
	for _, r := range p.Rules {
		if slices.Contains(r.Names, name) {
			return r.Action
		}
	}
	return p.Default
}

// TestSemantics checks the merging rules on the testdata units.
func TestSemantics(t *testing.T) {
	parse := func(f string) *profile.Profile {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		p, err := systemd.Parse(f, data)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	allow := profile.Action{Kind: profile.ActAllow}
	logA := profile.Action{Kind: profile.ActLog}
	kill := profile.Action{Kind: profile.ActKillProcess}
	errno := func(n uint16) profile.Action { return profile.Action{Kind: profile.ActErrno, Data: n} }

	p := parse("service.service")
	for _, tc := range []struct {
		name string
		want profile.Action
	}{
		{"read", allow},               // @system-service
		{"getpid", allow},             // @default
		{"execve", logA},              // allowed and logged
		{"chown", errno(1)},           // @privileged taken out: the default
		{"setrlimit", errno(1)},       // @resources taken out
		{"mount", errno(13)},          // ~mount:EACCES in an allow list
		{"umount2", kill},             // ~umount2:kill
		{"kexec_load", errno(1)},      // never listed
		{"io_uring_setup", allow},     // @aio in @system-service
		{"clock_settime", errno(1)},   // @clock is not in @system-service
		{"rt_sigreturn", allow},       // @default
		{"perf_event_open", errno(1)}, // @debug
	} {
		if got := action(t, p, tc.name); got != tc.want {
			t.Errorf("service: %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	if p.Default != errno(1) || len(p.Arches) != 0 || p.ArchMap != nil {
		t.Errorf("service: default %v arches %v archMap %v", p.Default, p.Arches, p.ArchMap)
	}

	p = parse("denylist.conf")
	for _, tc := range []struct {
		name string
		want profile.Action
	}{
		{"mount", kill},              // ~@mount, no SystemCallErrorNumber=
		{"swapon", errno(1)},         // @swap:EPERM
		{"reboot", errno(38)},        // reboot:38
		{"clock_settime", errno(13)}, // @clock:EACCES
		{"settimeofday", allow},      // taken out of the deny list again
		{"read", allow},
	} {
		if got := action(t, p, tc.name); got != tc.want {
			t.Errorf("denylist: %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	if p.Default != allow || !reflect.DeepEqual(p.Arches, []arch.Arch{arch.X86_64, arch.X86, arch.X32}) {
		t.Errorf("denylist: default %v arches %v", p.Default, p.Arches)
	}

	// The empty assignment resets the deny list and its polarity; the
	// allow list then holds @default, @basic-io and @file-system; the
	// inverted log logs all but @basic-io.
	p = parse("reset.conf")
	for _, tc := range []struct {
		name string
		want profile.Action
	}{
		{"read", allow},  // @basic-io: allowed, not logged
		{"openat", logA}, // @file-system: allowed and logged
		{"getpid", logA}, // @default
		{"uselib", kill}, // @obsolete was reset; not allowed
		{"socket", kill},
	} {
		if got := action(t, p, tc.name); got != tc.want {
			t.Errorf("reset: %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !reflect.DeepEqual(p.ArchMap, systemd.LocalArchMap) {
		t.Errorf("reset: archMap %v", p.ArchMap)
	}

	// A bare value: one assignment per line.
	p = parse("bare.txt")
	if action(t, p, "read") != allow || action(t, p, "chown") != kill || p.Default != kill {
		t.Errorf("bare: read %v chown %v default %v", action(t, p, "read"), action(t, p, "chown"), p.Default)
	}
}

func TestErrors(t *testing.T) {
	formattest.Refuses(t, "u", systemd.Parse, []struct{ In, Want string }{
		{"[Service]\nSystemCallFilter=@system-servic\n", `u:2:18: unknown system-call group "@system-servic" (did you mean "@system-service"?)`},
		{"[Service]\nSystemCallFilter=~read writ\n", `u:2:24: unknown system call "writ"`},
		{"[Service]\nSystemCallFilter=read:EPERM\n", `u:2:22: allowed system calls take no errno...`},
		{"[Service]\nSystemCallFilter=~read:EPERMM\n", `u:2:24: unknown errno "EPERMM"...`},
		{"[Service]\nSystemCallFilter=~read:4095\n", `u:2:24: errno 4095 out of range 0..4094`},
		{"[Service]\nSystemCallErrorNumber=EWHAT\n", `u:2:23: SystemCallErrorNumber=: unknown errno "EWHAT"...`},
		{"[Service]\nSystemCallArchitectures=native amd64\n", `u:2:32: unknown architecture "amd64"...`},
		{"[Service]\nSystemCallLog=read:EPERM\n", `u:2:19: SystemCallLog= takes no errno...`},
		{"[Service]\nSystemCallFilter\n", `u:2:1: "SystemCallFilter" is not an assignment...`},
		{"[Service]\nSystemCallFilter=~read \\\n  write \\\n\tmout:EPERM\n", `u:4:2: unknown system call "mout"`},
		{"[Service]\nSystemCallFilter=~read \\\n  write:EPEM\n", `u:3:9: unknown errno "EPEM"...`},
		{"@system-service\n~@privleged\n", `u:2:2: unknown system-call group "@privleged"...`},
		{"", `u:1:1: empty (only blank lines and comments): not a seccomp profile...`},
		{" \n\n# a comment\n", `u:1:1: empty (only blank lines and comments)...`},
		{"[]\n", `u:1:1: no SystemCallFilter=...`},
		{"[Service]\nExecStart=/bin/true\n", `u:1:1: no SystemCallFilter=...`},
		{"[Service]\nSystemCallFilter=~read ptrace\x00 mount\n", `u:2:30: NUL byte: systemd reads unit files as C strings...`},
	})
}

// TestNamesOnly converts random names-only profiles to systemd and back
// to OCI JSON, and checks that every system call of every covered ABI
// gets the same action.
func TestNamesOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	all := arch.X86_64.Syscalls()
	defaults := []profile.Action{
		{Kind: profile.ActAllow}, {Kind: profile.ActErrno, Data: 1}, {Kind: profile.ActKillProcess},
		{Kind: profile.ActErrno, Data: 38}, {Kind: profile.ActLog},
	}
	ruleActs := []profile.Action{
		{Kind: profile.ActAllow}, {Kind: profile.ActErrno, Data: 1}, {Kind: profile.ActErrno, Data: 13},
		{Kind: profile.ActKillProcess}, {Kind: profile.ActLog},
	}
	archSets := [][]arch.Arch{nil, {arch.X86_64, arch.X86, arch.X32}, {arch.X86_64}, {arch.X86_64, arch.X86}}
	total := 0
	for i := range 40 {
		// Each name in one rule: a name in two rules with different
		// actions makes libseccomp refuse the profile on x86, through
		// socketcall(2).
		used := map[string]bool{}
		p := &profile.Profile{Default: defaults[i%len(defaults)], Arches: archSets[i%len(archSets)]}
		for range 1 + r.IntN(6) {
			rule := profile.Rule{Action: ruleActs[r.IntN(len(ruleActs))]}
			for range 1 + r.IntN(60) {
				n := all[r.IntN(len(all))].Name
				if !used[n] && systemd.Resolves(n) {
					used[n] = true
					rule.Names = append(rule.Names, n)
				}
			}
			if len(rule.Names) > 0 {
				p.Rules = append(p.Rules, rule)
			}
		}
		if i%3 == 0 {
			// Whole groups, to exercise the compression.
			ms, _ := systemd.Expand("@signal")
			var fresh []string
			for _, n := range ms {
				if !used[n] {
					fresh = append(fresh, n)
				}
			}
			p.Rules = append(p.Rules, profile.Rule{Names: fresh, Action: profile.Action{Kind: profile.ActAllow}})
		}
		if p.Default.Kind == profile.ActLog {
			// systemd logs every call only when SystemCallLog=~ lists a
			// call: allow one.
			p.Rules = append(p.Rules, profile.Rule{Names: []string{"syscage_allowed"}, Action: profile.Action{Kind: profile.ActAllow}})
			for _, s := range all {
				if !used[s.Name] {
					p.Rules[len(p.Rules)-1].Names[0] = s.Name
					break
				}
			}
		}
		out, losses, err := systemd.Format(p, systemd.Options{})
		if err != nil || len(losses) > 0 {
			t.Fatalf("profile %d: %v %v", i, err, losses)
		}
		q, err := systemd.Parse("names.conf", out)
		if err != nil {
			t.Fatalf("profile %d: %v\n%s", i, err, out)
		}
		js, err := oci.Format(q)
		if err != nil {
			t.Fatal(err)
		}
		q, err = oci.Parse("names.json", js)
		if err != nil {
			t.Fatal(err)
		}
		n, err := formattest.SameVerdicts(p, q, arch.X86_64)
		if err != nil {
			t.Fatalf("profile %d: %v\n%s", i, err, out)
		}
		total += n
	}
	t.Logf("%d system calls compared", total)
}

func TestLosses(t *testing.T) {
	p := &profile.Profile{
		Default: profile.Action{Kind: profile.ActErrno, Data: 1},
		Rules: []profile.Rule{
			{Names: []string{"read", "write"}, Action: profile.Action{Kind: profile.ActAllow}},
			{Names: []string{"personality"}, Action: profile.Action{Kind: profile.ActAllow}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 8}}},
			{Names: []string{"ptrace"}, Action: profile.Action{Kind: profile.ActTrap}},
			{Names: []string{"socket"}, Action: profile.Action{Kind: profile.ActKillThread}, Conds: []profile.Cond{{Arg: 0, Op: profile.OpEQ, Value: 16}}},
			{Names: []string{"socket"}, Action: profile.Action{Kind: profile.ActAllow}},
		},
	}
	_, losses, err := systemd.Format(p, systemd.Options{})
	if !errors.Is(err, profile.ErrNotExpressible) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, l := range losses {
		got = append(got, l.String())
	}
	wantLosses := []string{
		"personality: systemd has no argument conditions, includes or excludes (arg0 == 0x8); written as ERRNO(1), the strictest action it could get",
		"rule 3: systemd has no TRAP action; written as KILL_PROCESS",
	}
	if !reflect.DeepEqual(got, wantLosses) {
		t.Errorf("losses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLosses, "\n"))
	}
	out, _, err := systemd.Format(p, systemd.Options{Lossy: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := systemd.Parse("lossy", out)
	if err != nil {
		t.Fatal(err)
	}
	kill := profile.Action{Kind: profile.ActKillProcess}
	for name, want := range map[string]profile.Action{
		"read": {Kind: profile.ActAllow}, "personality": {Kind: profile.ActErrno, Data: 1},
		"ptrace": kill, "socket": {Kind: profile.ActAllow}, // the unconditional rule replaces the conditional one
	} {
		if got := action(t, q, name); got != want {
			t.Errorf("lossy %s = %v, want %v\n%s", name, got, want, out)
		}
	}
}

// TestGroupsMatchSystemdAnalyze compares every group with what the
// installed systemd-analyze prints for it (systemd 252, Debian 12).
func TestGroupsMatchSystemdAnalyze(t *testing.T) {
	path := testenv.Tool(t, "systemd-analyze", "systemd")
	ver, _ := exec.Command(path, "--version").Output()
	if !strings.HasPrefix(string(ver), "systemd 252 ") {
		t.Fatalf("the groups are systemd 252's; systemd-analyze is %q", strings.SplitN(string(ver), "\n", 2)[0])
	}
	for _, g := range systemd.Groups() {
		out, err := exec.Command(path, "syscall-filter", "--no-pager", g.Name).Output()
		if err != nil {
			t.Fatalf("systemd-analyze syscall-filter %s: %v", g.Name, err)
		}
		var desc string
		var members []string
		for _, l := range strings.Split(string(out), "\n") {
			switch {
			case strings.HasPrefix(l, "    # "):
				desc = strings.TrimPrefix(l, "    # ")
			case strings.HasPrefix(l, "    "):
				members = append(members, strings.TrimSpace(l))
			}
		}
		if desc != g.Description || !slices.Equal(members, g.Members) {
			t.Errorf("%s: systemd-analyze says %q %v, the data file %q %v", g.Name, desc, members, g.Description, g.Members)
		}
		// The expansion equals the union of what systemd-analyze prints
		// for the group and, recursively, its nested groups.
		want := map[string]bool{}
		var walk func(string)
		walk = func(name string) {
			out, _ := exec.Command(path, "syscall-filter", "--no-pager", name).Output()
			for _, l := range strings.Split(string(out), "\n") {
				m := strings.TrimSpace(l)
				if !strings.HasPrefix(l, "    ") || strings.HasPrefix(m, "#") {
					continue
				}
				if strings.HasPrefix(m, "@") {
					walk(m)
				} else {
					want[m] = true
				}
			}
		}
		walk(g.Name)
		got, _ := systemd.Expand(g.Name)
		var w []string
		for n := range want {
			w = append(w, n)
		}
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s: expansion %d names, systemd-analyze %d", g.Name, len(got), len(w))
		}
	}
	if len(systemd.Groups()) != 29 {
		t.Errorf("%d groups, systemd 252 has 29", len(systemd.Groups()))
	}
}

// TestDockerDefaultLossy writes Docker's default profile, resolved for
// x86_64, as systemd settings with --lossy (it has argument conditions)
// and checks on every system call of every covered ABI, with argument
// values around every condition, that the result never lets a call run
// that Docker's profile refuses.
func TestDockerDefaultLossy(t *testing.T) {
	r := proftest.DockerDefault(arch.X86_64)
	out, losses, err := systemd.Format(r, systemd.Options{Lossy: true})
	if err != nil || len(losses) == 0 {
		t.Fatalf("lossy Format: %v, %d losses", err, len(losses))
	}
	q, err := systemd.Parse("docker.conf", out)
	if err != nil {
		t.Fatal(err)
	}
	n, changed := 0, 0
	for _, a := range proftest.Covered(r, arch.X86_64) {
		for _, in := range proftest.Inputs(r, a) {
			dat := profile.Data{Nr: uint32(in.Nr), Arch: in.Arch, Args: in.Args}
			x, errx := profile.Evaluate(r, arch.X86_64, dat)
			y, erry := profile.Evaluate(q, arch.X86_64, dat)
			if errx != nil || erry != nil {
				t.Fatalf("%v %v", errx, erry)
			}
			n++
			if x != y {
				changed++
			}
			if runs(y) && !runs(x) {
				name, _ := a.SyscallName(dat.Nr)
				t.Errorf("%s %s %#x: lossy %v lets the call run, Docker's profile gives %v", a, name, dat.Args, y, x)
			}
		}
	}
	t.Logf("%d losses; %d of %d calls changed, none more permissive", len(losses), changed, n)
}

func runs(a profile.Action) bool { return a.Kind == profile.ActAllow || a.Kind == profile.ActLog }

// TestNoFilter: a profile that allows everything on the ABIs systemd
// covers is written as an explicit empty SystemCallFilter=, which reads
// back as the same profile (a unit without settings is refused).
func TestNoFilter(t *testing.T) {
	p, err := systemd.Parse("reset", []byte("[Service]\nSystemCallFilter=\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, losses, err := systemd.Format(p, systemd.Options{})
	if err != nil || len(losses) > 0 {
		t.Fatalf("Format: %v %v", losses, err)
	}
	if want := "[Service]\nSystemCallFilter=\n"; string(out) != want {
		t.Fatalf("Format:\n got %q\nwant %q", out, want)
	}
	q, err := systemd.Parse("formatted", out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("Parse(Format(p)) != p:\n%+v\n%+v", p, q)
	}
}

// TestSections: the system-call settings count only in the exec section
// of the unit type, as systemd reads them; elsewhere they are ignored
// with a warning, and a reset there does not open the filter.
func TestSections(t *testing.T) {
	eperm := profile.Action{Kind: profile.ActErrno, Data: 1}
	allow := profile.Action{Kind: profile.ActAllow}
	const filter = "[Service]\nSystemCallErrorNumber=EPERM\nSystemCallFilter=read write\n"
	for _, tc := range []struct {
		name, file, text string
		want             map[string]profile.Action // nil: an error
		warnings         int
	}{
		{"reset in Install", "app.service", filter + "[Install]\nSystemCallFilter=\nSystemCallErrorNumber=\n", map[string]profile.Action{"read": allow, "mount": eperm}, 2},
		{"reset in Unit", "app.service", "[Unit]\nSystemCallFilter=\n" + filter, map[string]profile.Action{"read": allow, "mount": eperm}, 1},
		{"reset in X- section", "x.conf", filter + "[X-Mine]\nSystemCallFilter=\n", map[string]profile.Action{"write": allow, "mount": eperm}, 1},
		{"reset before any section", "x.conf", "SystemCallFilter=\nSystemCallFilter=mount\n" + filter, map[string]profile.Action{"read": allow, "mount": eperm}, 2},
		{"sections are case-sensitive", "x.conf", filter + "[service]\nSystemCallFilter=\n", map[string]profile.Action{"read": allow, "mount": eperm}, 2},
		{"allow in Socket of a service", "app.service", filter + "[Socket]\nSystemCallFilter=mount\n", map[string]profile.Action{"read": allow, "mount": eperm}, 2},
		{"socket unit", "app.socket", "[Service]\nSystemCallFilter=\n[Socket]\nSystemCallErrorNumber=EPERM\nSystemCallFilter=read\n", map[string]profile.Action{"read": allow, "mount": eperm}, 2},
		{"drop-in of a mount", "/etc/systemd/system/data.mount.d/10-filter.conf", "[Mount]\nSystemCallErrorNumber=EPERM\nSystemCallFilter=read\n[Service]\nSystemCallFilter=\n", map[string]profile.Action{"read": allow, "mount": eperm}, 2},
		{"two exec sections of an unnamed type", "x.conf", filter + "[Swap]\nSystemCallFilter=mount\n", nil, 0},
		{"only outside the exec section", "app.service", "[Unit]\nSystemCallFilter=read\n", nil, 1},
		{"comment inside a continued line", "app.service", "[Service]\nSystemCallErrorNumber=EPERM\nSystemCallFilter=read \\\n# mount\n  write\n", map[string]profile.Action{"read": allow, "write": allow, "mount": eperm}, 0},
		{"escaped backslash ends the line", "app.service", "[Service]\nSystemCallErrorNumber=EPERM\nSystemCallFilter=read\\\\\nSystemCallFilter=write\n", nil, 0},
		{"bad section header", "app.service", "[Service\nSystemCallFilter=read\n", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, warnings, err := systemd.ParseWarn(tc.file, []byte(tc.text))
			if len(warnings) != tc.warnings {
				t.Errorf("warnings %v, want %d", warnings, tc.warnings)
			}
			if tc.want == nil {
				if err == nil {
					t.Fatalf("no error; profile %+v", p)
				}
				var se *profile.SyntaxError
				if !errors.As(err, &se) || se.Line == 0 {
					t.Errorf("error %v is not located", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.want {
				if got := action(t, p, name); got != want {
					t.Errorf("%s: %v, want %v", name, got, want)
				}
			}
		})
	}
}

// TestLossyMultiplexed: systemd reads no arguments, so a call with
// conditional rules gets the strictest action it could get; through
// socketcall(2) a call also meets the multiplexer's own rules, which can
// deny what the call's rules allow. The written unit must not let run
// what the profile denies there.
func TestLossyMultiplexed(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Arches: []arch.Arch{arch.X86}, Rules: []profile.Rule{
		{Names: []string{"socketcall"}, Action: profile.Action{Kind: profile.ActErrno, Data: 13}, Conds: []profile.Cond{{Arg: 3, Op: profile.OpGE, Value: 5}}},
		{Names: []string{"setsockopt"}, Action: profile.Action{Kind: profile.ActAllow}},
	}}
	out, _, err := systemd.Format(p, systemd.Options{Lossy: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := systemd.Parse("x.service", out)
	if err != nil {
		t.Fatal(err)
	}
	q, err = q.Resolve(profile.Env{Arch: arch.X86})
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := arch.X86.SyscallNumber("socketcall")
	for _, a3 := range []uint64{0, 5, 6} {
		d := profile.Data{Nr: nr, Arch: arch.X86.Audit(), Args: [6]uint64{14, 0, 0, a3}}
		want, _ := profile.Evaluate(p, arch.X86, d)
		got, err := profile.Evaluate(q, arch.X86, d)
		if err != nil || runs(got) && !runs(want) {
			t.Errorf("socketcall(SYS_SETSOCKOPT, ..., %d): written %v, %v; the profile gives %v\n%s", a3, got, err, want, out)
		}
	}
}
