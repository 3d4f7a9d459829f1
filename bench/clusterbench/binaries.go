package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// prepareBinaries finds or builds every binary the selected rows need and
// asks each for its version, for the raw data's meta line.
func prepareBinaries(opt options, binDir string) (loadTools, []system, map[string]string, error) {
	versions := map[string]string{}
	rows := slices.Clone(opt.rows)
	if opt.profilePrefix != "" {
		rows = append(rows, opt.profileRow)
	}
	raftkv := opt.raftkv
	if raftkv == "" {
		// Built inside raftkv's own module (the replace target of
		// bench/go.mod), with its go.sum: this module does not carry the
		// server's dependencies.
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/raftkv/raftkv").Output()
		if err != nil {
			return loadTools{}, nil, nil, fmt.Errorf("find raftkv's source (run clusterbench from the bench/ directory, or give -raftkv): %w", err)
		}
		src := strings.TrimSpace(string(root))
		raftkv = filepath.Join(binDir, "raftkv")
		if err := goBuild(src, raftkv, "./cmd/raftkv"); err != nil {
			return loadTools{}, nil, nil, err
		}
		describe := exec.Command("git", "describe", "--always", "--dirty")
		describe.Dir = src
		versions["raftkv source"] = src + " at " + firstLine(describe.Output())
	}
	tools := loadTools{benchmark: opt.benchmark, httpbench: opt.httpbench}
	if tools.httpbench == "" && hasProto(rows, protoHTTP) {
		tools.httpbench = filepath.Join(binDir, "httpbench")
		if err := goBuild(opt.httpbenchSrc, tools.httpbench, "."); err != nil {
			return loadTools{}, nil, nil, err
		}
	}
	need := map[string]string{"raftkv": raftkv, "etcd": opt.etcd}
	if hasProto(rows, protoGRPC) {
		need["benchmark"] = tools.benchmark
	}
	if hasProto(rows, protoHTTP) {
		need["httpbench"] = tools.httpbench
	}
	for name, path := range need {
		if _, err := os.Stat(path); err != nil {
			return loadTools{}, nil, nil, fmt.Errorf("%s binary: %w", name, err)
		}
		versions[name] = path + " (" + buildInfo(path) + ")"
	}
	versions["raftkv version"] = firstLine(exec.Command(raftkv, "--version").Output())
	versions["etcd version"] = firstLine(exec.Command(opt.etcd, "--version").Output())
	systems := []system{{sysRaftkv, raftkv}, {sysEtcd, opt.etcd}}
	return tools, systems, versions, nil
}

// buildInfo says which module version a Go binary was built from, and
// with which Go: for etcd's benchmark tool the only record of its version.
func buildInfo(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return "no Go build info: " + err.Error()
	}
	return fmt.Sprintf("%s from %s@%s, %s", bi.Path, bi.Main.Path, bi.Main.Version, bi.GoVersion)
}

func goBuild(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

func firstLine(b []byte, err error) string {
	if err != nil {
		return "unknown: " + err.Error()
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}
