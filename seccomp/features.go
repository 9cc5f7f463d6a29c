package seccomp

// Features is what the running kernel and host support, in the spirit of
// `runc features`.
type Features struct {
	Kernel  string `json:"kernel"`
	Machine string `json:"machine"`
	// Arch is the host ABI and Compat the others it can run (empty when
	// unknown).
	Arch   string   `json:"arch"`
	Compat []string `json:"compat"`
	// Mode is the seccomp mode of the probing process (0 none, 1 strict,
	// 2 filter); Filters the number of filters it carries.
	Mode    int `json:"mode"`
	Filters int `json:"filters"`
	// FilterSupported: seccomp(2) with SECCOMP_SET_MODE_FILTER exists.
	FilterSupported bool `json:"filterSupported"`
	// ActionsAvail and ActionsLogged are read from /proc/sys/kernel/seccomp;
	// Actions confirms each action with SECCOMP_GET_ACTION_AVAIL.
	ActionsAvail  []string        `json:"actionsAvail"`
	ActionsLogged []string        `json:"actionsLogged"`
	Actions       map[string]bool `json:"actions"`
	// Flags tells, for each SECCOMP_FILTER_FLAG_*, whether the kernel
	// accepts it (probed with a NULL program, which installs nothing).
	Flags map[string]bool `json:"flags"`
	// NotifSizes are the sizes of the user-notification structures.
	NotifSizes *NotifSizes `json:"notifSizes,omitempty"`
	// ActionCache tells whether the kernel has the seccomp action cache
	// (Linux 5.11 and later on x86, arm64, s390, parisc...), and how that
	// was determined.
	ActionCache       bool   `json:"actionCache"`
	ActionCacheSource string `json:"actionCacheSource"`
}

// NotifSizes is struct seccomp_notif_sizes.
type NotifSizes struct {
	Notif     int `json:"seccompNotif"`
	NotifResp int `json:"seccompNotifResp"`
	Data      int `json:"seccompData"`
}
