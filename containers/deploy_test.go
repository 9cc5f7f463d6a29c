package containers

import (
	"os"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestDaemonSet reads deploy/daemonset.yaml as Kubernetes would and
// checks what the check needs: the host's PID namespace, the
// capabilities and the absence of a filter the kernel asks of a reader of
// filters, a command that runs verify --containers --json, and every
// default root (except rootless users') under a read-only mount of the
// host's directory at the same path.
func TestDaemonSet(t *testing.T) {
	b, err := os.ReadFile("../deploy/daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Template struct {
				Spec struct {
					HostPID    bool `yaml:"hostPID"`
					Containers []struct {
						Command         []string `yaml:"command"`
						Args            []string `yaml:"args"`
						SecurityContext struct {
							Capabilities struct {
								Add  []string `yaml:"add"`
								Drop []string `yaml:"drop"`
							} `yaml:"capabilities"`
							SeccompProfile struct {
								Type string `yaml:"type"`
							} `yaml:"seccompProfile"`
						} `yaml:"securityContext"`
						VolumeMounts []struct {
							Name      string `yaml:"name"`
							MountPath string `yaml:"mountPath"`
							ReadOnly  bool   `yaml:"readOnly"`
						} `yaml:"volumeMounts"`
					} `yaml:"containers"`
					Volumes []struct {
						Name     string `yaml:"name"`
						HostPath *struct {
							Path string `yaml:"path"`
						} `yaml:"hostPath"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(false)
	if err := dec.Decode(&ds); err != nil {
		t.Fatal(err)
	}
	if ds.APIVersion != "apps/v1" || ds.Kind != "DaemonSet" {
		t.Errorf("%s %s, want apps/v1 DaemonSet", ds.APIVersion, ds.Kind)
	}
	pod := ds.Spec.Template.Spec
	if !pod.HostPID {
		t.Error("hostPID is not true: the containers' processes are not seen")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if cmd := strings.Join(append(c.Command, c.Args...), " "); !strings.Contains(cmd, "syscage verify --containers --json") {
		t.Errorf("the container runs %q, not syscage verify --containers --json", cmd)
	}
	sc := c.SecurityContext
	for _, cap := range []string{"SYS_PTRACE", "SYS_ADMIN"} {
		if !slices.Contains(sc.Capabilities.Add, cap) {
			t.Errorf("capability %s is not added", cap)
		}
	}
	if sc.SeccompProfile.Type != "Unconfined" {
		t.Errorf("seccompProfile %q: a reader of filters must run without one (Unconfined)", sc.SeccompProfile.Type)
	}
	host := map[string]string{}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			host[v.Name] = v.HostPath.Path
		}
	}
	var mounts []string
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("mount %s is not read-only", m.MountPath)
		}
		if host[m.Name] != m.MountPath {
			t.Errorf("mount %s is the host's %q: the state names the host's paths, mount them at the same", m.MountPath, host[m.Name])
		}
		mounts = append(mounts, m.MountPath)
	}
	for _, r := range append(slices.Clone(DefaultRoots), "/run/containers/storage") {
		if strings.HasPrefix(r, "/run/user/") {
			continue
		}
		if !slices.ContainsFunc(mounts, func(m string) bool { return r == m || strings.HasPrefix(r, m+"/") }) {
			t.Errorf("%s is under no mount of %v", r, mounts)
		}
	}
}
