package launch

import "github.com/syscage/syscage/profile"

// Complain returns p with every action that denies a system call (all
// but ALLOW and LOG) turned into LOG: the program runs as if the profile
// allowed everything, and the kernel logs each call the profile would
// have denied. Run it with Compile.BadArch set to LOG as well to let other
// ABIs through.
func Complain(p *profile.Profile) *profile.Profile {
	q := p.Clone()
	logA := profile.Action{Kind: profile.ActLog}
	deny := func(a profile.Action) bool { return a.Kind != profile.ActAllow && a.Kind != profile.ActLog }
	if deny(q.Default) {
		q.Default = logA
	}
	for i := range q.Rules {
		if deny(q.Rules[i].Action) {
			q.Rules[i].Action = logA
		}
	}
	return q
}
