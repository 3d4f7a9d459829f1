package main

import (
	"context"
	"fmt"
	"time"
)

// runRecord is one measured run: a JSON line of -out, and a point of the
// report's medians.
type runRecord struct {
	Kind     string    `json:"kind"` // "run"
	Time     time.Time `json:"time"`
	Series   int       `json:"series"` // from 1
	Rep      int       `json:"rep"`    // from 1, within the series
	System   string    `json:"system"`
	Row      string    `json:"row"`
	Label    string    `json:"label"`
	Protocol protocol  `json:"protocol"`
	Leader   string    `json:"leader"`
	Command  []string  `json:"command"`
	toolResult
	WallS float64 `json:"wall_s"`
	// CPUUsPerOp is the baseline's figure: the CPU of all three members
	// together, in µs per request.
	CPUUsPerOp       float64            `json:"cpu_us_per_op"`
	LeaderCPUUsPerOp float64            `json:"leader_cpu_us_per_op"`
	MemberCPUS       map[string]float64 `json:"member_cpu_s"`
	ToolCPUUsPerOp   float64            `json:"tool_cpu_us_per_op"`
	// IdleCPUUsPerOp is the CPU the other system's cluster, idle while
	// this one runs, used meanwhile (heartbeats): what keeping both
	// clusters up during a series costs the measured one.
	IdleCPUUsPerOp float64 `json:"idle_cluster_cpu_us_per_op"`
	// BusyFrac is how busy the whole machine was during the run (1 = all
	// cores), and ForeignFrac the part of that which none of the
	// benchmark's processes account for: other users of the machine. A
	// run with a large ForeignFrac shared the cores with someone else.
	BusyFrac    float64 `json:"busy_frac"`
	ForeignFrac float64 `json:"foreign_frac"`
	// The leader's state after the reset, before the run.
	Revision    int64 `json:"revision"`
	DBSize      int64 `json:"db_size"`
	DBSizeInUse int64 `json:"db_size_in_use"`
}

// measure does one run of r on cluster c: the baseline's runbench.py.
// Before it, the cluster is reset and its leader looked up; around it, the
// CPU of every member of both clusters and of the machine is read.
func measure(ctx context.Context, c, idle *cluster, r row, tools loadTools, opt options) (runRecord, error) {
	lead, err := c.leader(ctx, 30*time.Second)
	if err != nil {
		return runRecord{}, fmt.Errorf("%s: %w", c.sys.name, err)
	}
	state, err := reset(ctx, c, lead, opt.settle)
	if err != nil {
		return runRecord{}, err
	}
	// The reset may take a while; look again so the load goes to the
	// member that leads now.
	if lead, err = c.leader(ctx, 30*time.Second); err != nil {
		return runRecord{}, fmt.Errorf("%s: %w", c.sys.name, err)
	}
	argv := tools.command(r, lead, opt.total)
	pids := append(c.pids(), idle.pids()...)
	before, err := sampleCPU(pids)
	if err != nil {
		return runRecord{}, err
	}
	start := time.Now()
	run, err := tools.run(ctx, r, argv, opt.total, opt.runTimeout)
	if err != nil {
		return runRecord{}, fmt.Errorf("%s %s: %w", c.sys.name, r.id, err)
	}
	after, err := sampleCPU(pids)
	if err != nil {
		return runRecord{}, err
	}
	rec := runRecord{Kind: "run", Time: start.UTC(), System: c.sys.name, Row: r.id, Label: r.label, Protocol: r.proto,
		Leader: lead.name, Command: argv, toolResult: run.toolResult, WallS: run.wall.Seconds(), MemberCPUS: map[string]float64{},
		Revision: state.Header.Revision.int64(), DBSize: state.DBSize.int64(), DBSizeInUse: state.DBSizeInUse.int64()}
	perOp := func(seconds float64) float64 { return seconds / float64(run.Requests) * 1e6 }
	if run.Requests == 0 {
		return rec, fmt.Errorf("%s %s: the tool reports no requests", c.sys.name, r.id)
	}
	for _, m := range c.members {
		s := ticksToSeconds(after.ticksSince(before, m.pid()))
		rec.MemberCPUS[m.name] = s
		if m == lead {
			rec.LeaderCPUUsPerOp = perOp(s)
		}
	}
	members := after.ticksSince(before, c.pids()...)
	idleTicks := after.ticksSince(before, idle.pids()...)
	rec.CPUUsPerOp = perOp(ticksToSeconds(members))
	rec.IdleCPUUsPerOp = perOp(ticksToSeconds(idleTicks))
	rec.ToolCPUUsPerOp = perOp(run.cpu.Seconds())

	machine := after.machine.total - before.machine.total
	busy := after.machine.busy - before.machine.busy
	if machine > 0 {
		rec.BusyFrac = float64(busy) / float64(machine)
		ours := float64(members+idleTicks) + run.cpu.Seconds()*userHZ
		rec.ForeignFrac = (float64(busy) - ours) / float64(machine)
	}
	return rec, nil
}
