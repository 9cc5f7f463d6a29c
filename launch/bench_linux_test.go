package launch_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
	"github.com/syscage/syscage/profile"
)

func dockerDefault(b *testing.B) *profile.Profile {
	b.Helper()
	host, _ := arch.Native()
	return proftest.DockerDefault(host)
}

// BenchmarkLaunchOverhead runs /bin/true alone, under launch.Cmd with the
// Docker default profile, and with the syscage command (built for the
// benchmark), in turns, and reports each as ns and the ratios to /bin/true
// alone.
func BenchmarkLaunchOverhead(b *testing.B) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	syscage := testenv.BuildSyscage(b)
	p := dockerDefault(b)
	var bare, lib, cli time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := exec.Command(truePath).Run(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := launch.Command(p, truePath).Run(); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := exec.Command(syscage, "run", "--", truePath).Run(); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		bare, lib, cli = bare+t1.Sub(t0), lib+t2.Sub(t1), cli+t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(bare.Nanoseconds())/n, "ns/true")
	b.ReportMetric(float64(lib.Nanoseconds())/n, "ns/launch")
	b.ReportMetric(float64(cli.Nanoseconds())/n, "ns/syscage-run")
	b.ReportMetric(float64(lib)/float64(bare), "launch/true")
	b.ReportMetric(float64(cli)/float64(bare), "syscage-run/true")
}

// BenchmarkSyscallCost times system calls inside a target without a
// filter and under the Docker default profile: getppid, which the
// kernel's action cache allows without running the filter, and
// personality(0xffffffff), which the filter decides by its argument.
func BenchmarkSyscallCost(b *testing.B) {
	p := dockerDefault(b)
	run := func(filtered bool) map[string]float64 {
		var out bytes.Buffer
		env := []string{testenv.Env("calls")}
		if filtered {
			cmd := launch.Command(p, os.Args[0])
			cmd.Env, cmd.Stdout = env, &out
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		} else {
			cmd := exec.Command(os.Args[0])
			cmd.Env, cmd.Stdout = env, &out
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
		var m map[string]float64
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			b.Fatalf("%v: %s", err, out.String())
		}
		return m
	}
	sum := map[string]float64{}
	for b.Loop() {
		for k, v := range run(false) {
			sum["none-"+k] += v
		}
		for k, v := range run(true) {
			sum["docker-"+k] += v
		}
	}
	n := float64(b.N)
	for _, k := range []string{"getppid", "personality"} {
		b.ReportMetric(sum["none-"+k]/n, "ns/"+k+"-none")
		b.ReportMetric(sum["docker-"+k]/n, "ns/"+k+"-docker")
		b.ReportMetric(sum["docker-"+k]/sum["none-"+k], k+"-docker/none")
	}
}
