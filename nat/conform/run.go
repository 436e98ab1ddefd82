package conform

import (
	"context"
	"sort"
	"sync"

	"github.com/boxlab/boxlab/sim/runner"
)

// Run checks every requirement on every target and returns the results in
// (target, requirement) order; done, if not nil, gets each result as soon
// as it is known (from several goroutines, one at a time). At most parallel
// checks run at once (default 1). Checks share nothing — each builds its own
// topology, with its own namespaces and NAT — and most of their time is
// spent waiting for NAT timers, so running them side by side shortens the
// matrix without changing what each measures. The checks that wait longest
// (highest speed first: they measure timers) start first.
func Run(ctx context.Context, cat *runner.Catalog, targets []Target, reqs []Requirement, parallel int, done func(Result)) []Result {
	if parallel < 1 {
		parallel = 1
	}
	n := len(targets) * len(reqs)
	if n == 0 {
		return nil
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return reqs[order[a]%len(reqs)].Speed > reqs[order[b]%len(reqs)].Speed
	})
	results := make([]Result, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t, r := targets[i/len(reqs)], reqs[i%len(reqs)]
				res := Check(ctx, cat, t, r)
				results[i] = res
				if done != nil {
					mu.Lock()
					done(res)
					mu.Unlock()
				}
			}
		}()
	}
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}
