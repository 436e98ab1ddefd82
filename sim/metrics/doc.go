// Package metrics collects the samples that simulated devices emit and
// summarises them.
//
// Every event a device emits becomes one or more samples: a metric name, the
// simulated time since the scenario started, and a value. A Store keeps them
// in memory for the run; Series, Names and Summaries read them back, and
// sim/assert evaluates scenario assertions over them.
//
// Conventions:
//   - Durations (latencies, round-trip times) are stored as seconds in a
//     float64, never as nanoseconds: 250ms is observed as 0.25.
//   - Counted events are observed with value 1, so sum and count agree.
//   - Non-finite values (NaN, ±Inf) are dropped by Observe: they would poison
//     every aggregate and cannot be written to JSON.
//   - Quantile uses the nearest-rank method, so every quantile is a value that
//     was actually observed.
//
// What it deliberately does not do: no labels or tags (put them in the name,
// "echo.reply.rtt"), no histograms or downsampling (a run is short and every
// sample is kept), no export (sim/reports writes Summaries), no wall-clock
// time (callers pass simulated time).
package metrics
