package seccomp

import "testing"

func TestFeaturesText(t *testing.T) {
	yes := true
	f := &Features{
		Kernel: "6.18.0", Machine: "x86_64", Arch: "x86_64",
		Compat:  []Compat{{Arch: "x86", Detection: Detection{Supported: &yes, Source: "CONFIG_IA32_EMULATION"}}},
		Seccomp: true, FilterSupported: true, Mode: SECCOMP_MODE_FILTER, Filters: -1, NoNewPrivs: true,
		ActionsAvail: []string{"kill_process", "allow"},
		Actions:      Support{{"kill_process", true}, {"user_notif", false}, {"allow", true}},
		NotifSizes:   &NotifSizes{Notif: 80, NotifResp: 24, Data: 64},
		ActionCache:  Detection{Source: "no /proc/PID/seccomp_cache"},
		Notes:        []string{"a note"},
	}
	want := `kernel:         6.18.0
machine:        x86_64
arch:           x86_64
compat x86:     yes (CONFIG_IA32_EMULATION)
seccomp:        yes
filter mode:    yes
this process:   mode 2 (filter), unknown filters, no_new_privs yes
actions_avail:  kill_process allow
actions_logged: unknown
actions:        kill_process allow (not: user_notif)
filter flags:   unknown
notif sizes:    seccomp_notif=80 seccomp_notif_resp=24 seccomp_data=64
action cache:   unknown (no /proc/PID/seccomp_cache)
note:           a note
`
	if got := f.Text(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := (Support{{"a", false}}).String(); got != "(not: a)" {
		t.Errorf("all unsupported: %q", got)
	}
}
