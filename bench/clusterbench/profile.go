package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// profileRequests is the --total/-total of the load under a profile: more
// than any row can serve in a profile's seconds on this machine, so the
// load lasts the whole profile. It is stopped as soon as the profile is in.
const profileRequests = 1_000_000

// profileLeader writes a CPU profile of c's leader taken while row r's load
// runs against it (--enable-pprof, GET /debug/pprof/profile). It runs after
// the measured runs, so it disturbs none of them.
func profileLeader(ctx context.Context, c *cluster, r row, tools loadTools, opt options, path string) error {
	lead, err := c.leader(ctx, 30*time.Second)
	if err != nil {
		return err
	}
	if _, err := reset(ctx, c, lead, opt.settle); err != nil {
		return err
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() {
		// Its error is of no interest: it ends by being stopped.
		tools.run(loadCtx, r, tools.command(r, lead, profileRequests), profileRequests, opt.runTimeout)
		close(loadDone)
	}()
	defer func() {
		stopLoad()
		<-loadDone
	}()

	// Let the load reach its steady state (connections up, batches
	// forming) before sampling.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Second):
	}
	seconds := int(opt.profileFor / time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", lead.clientURL, seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile %s %s: %w", c.sys.name, lead.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("profile %s %s: %s: %s", c.sys.name, lead.name, resp.Status, tail(body, 500))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile %s: %w", path, err)
	}
	return f.Close()
}
