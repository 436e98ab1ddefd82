// Package assert parses and evaluates the assertions of scenario files, a
// small language over sim/metrics samples:
//
//	keepalive.online_ratio >= 0.999
//	p95(command.latency) < 2s
//	count(echo.reply) / count(echo.request) >= 99% after 10s
//	max(echo.reply.rtt) <= 250ms during fault
//	recovery(mapmon.probe.valid) <= 16s
//
// Grammar (whitespace-insensitive; keywords and names lower case):
//
//	assertion := expr CMP expr [window]
//	CMP       := "<" | "<=" | ">" | ">=" | "==" | "!="
//	expr      := term (("+" | "-") term)*
//	term      := unary (("*" | "/") unary)*
//	unary     := "-" unary | operand
//	operand   := NUMBER | DURATION | PERCENT | METRIC | FUNC "(" METRIC ")" | "(" expr ")"
//	window    := "after" DURATION | "before" DURATION
//	           | "between" DURATION "and" DURATION
//	           | "during" NAME | "outside" NAME
//	NUMBER    := 0.999, 10, 1e3
//	DURATION  := a Go duration: 500us, 250ms, 2s, 1m30s, 1h (its value in seconds)
//	PERCENT   := NUMBER "%" (99.9% is 0.999)
//	METRIC    := [a-z_][a-z0-9_]*(\.[a-z0-9_]+)*, except after, before, between, during, outside
//	FUNC      := count | sum | min | max | mean | avg | last | first | rate | recovery | pNN
//	NAME      := fault (every fault interval) or an interval name ([A-Za-z0-9_.-]+,
//	             a timeline event name or a fault kind such as gateway-reboot)
//
// pNN is the quantile 0.NN (p50, p95, p999 = 0.999) by the nearest-rank
// method of metrics.Quantile, so it is always an observed value; it needs two
// or more digits (p05, not p5), and p100 is refused (it would read 0.100).
//
// Semantics:
//   - The window filters samples before any aggregation, and the same window
//     applies to both sides. Every window is clipped to the scenario [0, End]
//     (End included; no upper bound if End is 0). after D keeps T >= D,
//     before D keeps T < D, between D1 and D2 keeps D1 <= T < D2 (D1 < D2
//     required). Fault intervals are half-open [From, To); overlapping ones
//     are merged. during fault keeps samples inside any fault interval, during
//     NAME inside the intervals called NAME, outside the complement.
//   - A bare metric is its last sample in the window. count and sum of no
//     samples are 0; min, max, mean (avg), first, last, pNN and a bare metric
//     of no samples have no value.
//   - rate(m) is sum(m) divided by the window length in seconds: the window
//     clipped to [0, End], for during the total length of the matching
//     intervals. It has no value when the length is 0, or unknown (an
//     open-ended window and End not set).
//   - recovery(m) is per key (metrics.Sample.Key: the device an event is
//     about, else its node): m is a state series, 0 broken and anything else
//     good (e.g. mapmon.probe.valid). For each fault and each key that had a
//     sample before the fault began, the key recovered at its first sample
//     at or after the fault's start after which every sample is good, up to
//     the first later fault that finds it good (one that starts while it is
//     still broken does not end its stretch) or the end; its recovery time
//     runs from the fault's start. The value is the largest over faults and
//     keys, in seconds; a key still broken, or without a sample, at the end
//     of its stretch has no recovery and the assertion fails naming it. Here the
//     window selects faults, not samples: after, before and between keep
//     the faults that start inside them, during NAME those called NAME
//     (fault: all), outside NAME the others; faults that start together
//     count once. No fault selected has no value.
//   - A side with no value (no samples, division by zero, NaN, a during NAME
//     with no interval of that name, during fault with no faults) fails the
//     assertion; Result.Detail says why, naming the metric and window, e.g.
//     "no samples of echo.rtt after 10s". Eval never panics and never passes
//     on NaN. outside fault with no faults is the whole run.
//   - Comparisons are exact float64 comparisons.
//   - Display: Expected is the comparison and the right side as written when it
//     is a literal (2s, 99.9%, 0.999). Measured takes the unit of its own
//     expression or, for a metric, of the right side: a duration prints like a
//     time.Duration (1.234s), a percent with "%", anything else as a number;
//     a plain number compared with a percent prints as a percent (83.33%).
//     Values show 4 significant digits, more when fewer would misstate the
//     verdict (0.99949 against >= 0.9995 is not shown as 0.9995). Result.Value
//     is the exact left value.
//
// What it deliberately does not do: no boolean connectives (write two
// assertions), no per-node grouping or labels beyond recovery, no functions over
// expressions (functions take one metric), no implicit units (a window needs
// a duration, 10s, not 10), and no I/O: the runner supplies samples and
// fault intervals in an Env.
package assert
