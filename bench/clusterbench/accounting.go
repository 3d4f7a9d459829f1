package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// userHZ is the unit of the CPU times in /proc/PID/stat and /proc/stat:
// the kernel reports them in USER_HZ ticks, which is 100 on Linux whatever
// the kernel's own HZ (it is what `getconf CLK_TCK` prints). The baseline
// divided by the same CLK_TCK = 100.
const userHZ = 100

// processTicks returns the CPU a process has used so far, user plus system
// time (fields 14 and 15 of /proc/PID/stat), in USER_HZ ticks. Reading it
// before and after a run gives the CPU the run cost, whichever threads of
// the server did the work.
func processTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcessTicks(b)
}

func parseProcessTicks(stat []byte) (int64, error) {
	// Field 2, the command name, is in parentheses and may itself hold
	// spaces and ")", so count fields from the last ")": field 3 (state)
	// follows it, and utime and stime are fields 14 and 15.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc/PID/stat: no command name in %q", stat)
	}
	fields := strings.Fields(string(stat[end+1:]))
	const utime, stime = 14 - 3, 15 - 3 // indexes counted from field 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("/proc/PID/stat: %d fields after the command name, want more than %d", len(fields), stime)
	}
	u, err := strconv.ParseInt(fields[utime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/PID/stat utime: %w", err)
	}
	s, err := strconv.ParseInt(fields[stime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/PID/stat stime: %w", err)
	}
	return u + s, nil
}

// machineTicks is the first line of /proc/stat: the CPU time of all cores
// together, busy and total, in USER_HZ ticks.
type machineTicks struct {
	busy, total int64
}

func readMachineTicks() (machineTicks, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}, err
	}
	return parseMachineTicks(b)
}

func parseMachineTicks(stat []byte) (machineTicks, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	fields := strings.Fields(string(line))
	// cpu user nice system idle iowait irq softirq steal [guest guest_nice]:
	// guest time is already counted in user, so only the first eight
	// columns add up to the total.
	if len(fields) < 9 || fields[0] != "cpu" {
		return machineTicks{}, fmt.Errorf("/proc/stat: first line %q is not the cpu total", line)
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(fields[i+1], 10, 64)
		if err != nil {
			return machineTicks{}, fmt.Errorf("/proc/stat column %d: %w", i+1, err)
		}
		v[i] = n
	}
	const idle, iowait = 3, 4
	var t machineTicks
	for i, n := range v {
		t.total += n
		if i != idle && i != iowait {
			t.busy += n
		}
	}
	return t, nil
}

// cpuSample is the CPU state around one run: each server process of both
// clusters, and the machine as a whole.
type cpuSample struct {
	procs   map[int]int64 // pid → ticks
	machine machineTicks
}

func sampleCPU(pids []int) (cpuSample, error) {
	s := cpuSample{procs: map[int]int64{}}
	for _, pid := range pids {
		t, err := processTicks(pid)
		if err != nil {
			return s, fmt.Errorf("CPU of pid %d: %w", pid, err)
		}
		s.procs[pid] = t
	}
	m, err := readMachineTicks()
	if err != nil {
		return s, err
	}
	s.machine = m
	return s, nil
}

// ticksSince is the CPU the processes pids used between before and s.
func (s cpuSample) ticksSince(before cpuSample, pids ...int) int64 {
	var d int64
	for _, pid := range pids {
		d += s.procs[pid] - before.procs[pid]
	}
	return d
}

// ticksToSeconds converts USER_HZ ticks to seconds.
func ticksToSeconds(t int64) float64 { return float64(t) / userHZ }
