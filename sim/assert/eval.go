package assert

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/boxlab/boxlab/sim/metrics"
)

// Source gives the samples of a metric sorted by time; *metrics.Store is one.
type Source interface {
	Series(name string) []metrics.Sample
}

// Env is what an assertion is evaluated against.
type Env struct {
	Metrics Source             // the run's samples
	Faults  []metrics.Interval // active windows of the run's faults, for during/outside
	End     time.Duration      // scenario duration: the upper bound of every window
}

// Result is the verdict of one assertion, ready for a report.
type Result struct {
	Expr     string  `json:"expr"`             // canonical assertion
	Expected string  `json:"expected"`         // comparison and right side, e.g. "< 2s"
	Measured string  `json:"measured"`         // left side, e.g. "1.234s"; "no samples" or "undefined" when it has no value
	Value    float64 `json:"value"`            // left side; 0 when undefined
	Pass     bool    `json:"pass"`             //
	Detail   string  `json:"detail,omitempty"` // why it failed or could not be evaluated
}

// undefined says why an expression has no value.
type undefined struct {
	noSamples bool
	msg       string
}

func (u *undefined) display() string {
	if u.noSamples {
		return "no samples"
	}
	return "undefined"
}

// evaluator evaluates the expressions of one assertion against an Env.
type evaluator struct {
	env    Env
	win    window
	spans  spans
	winErr error
	values map[string][]float64 // samples in the window, in time order
}

// Eval evaluates the assertion. It never panics: a side with no value
// (no samples, division by zero, unknown interval) fails the assertion and
// Detail says why.
func (a *Assertion) Eval(env Env) Result {
	ev := &evaluator{env: env, win: a.win, values: map[string][]float64{}}
	ev.spans, ev.winErr = a.win.resolve(env)
	res := Result{Expr: a.String()}
	lv, lerr := ev.eval(a.left)
	rv, rerr := ev.eval(a.right)
	lu, ru := displayUnits(a.left.unit(), a.right.unit())

	switch {
	case rerr != nil:
		res.Expected = a.cmp + " " + rerr.display()
	case isLiteral(a.right):
		res.Expected = a.cmp + " " + exprString(a.right)
	default:
		res.Expected = a.cmp + " " + formatExact(rv, ru)
	}
	switch {
	case lerr != nil:
		res.Measured = lerr.display()
	case rerr != nil:
		res.Value = lv
		res.Measured = formatValue(lv, lu, 4)
	default:
		res.Value = lv
		res.Measured = formatMeasured(lv, lu, a.cmp, rv)
		res.Pass = compare(a.cmp, lv, rv)
	}
	if lerr != nil {
		res.Detail = lerr.msg
	} else if rerr != nil {
		res.Detail = rerr.msg
	}
	return res
}

func isLiteral(e expr) bool {
	_, ok := e.(*literal)
	return ok
}

// displayUnits resolves unitAny: a metric takes the unit of the other side.
// A plain number compared with a percent shows as a percent too.
func displayUnits(l, r unit) (unit, unit) {
	if l == unitNone && r == unitPct {
		return unitPct, unitPct
	}
	if l == unitAny {
		l = r
	}
	if r == unitAny {
		r = l
	}
	if l == unitAny {
		l, r = unitNone, unitNone
	}
	return l, r
}

func compare(cmp string, l, r float64) bool {
	switch cmp {
	case "<":
		return l < r
	case "<=":
		return l <= r
	case ">":
		return l > r
	case ">=":
		return l >= r
	case "==":
		return l == r
	case "!=":
		return l != r
	}
	return false
}

func (ev *evaluator) eval(e expr) (float64, *undefined) {
	switch e := e.(type) {
	case *literal:
		return e.val, nil
	case *metricRef:
		return ev.aggregate("last", 0, e.name, e.name)
	case *call:
		if e.fn == "recovery" {
			return ev.recovery(e.metric, exprString(e))
		}
		return ev.aggregate(e.fn, e.q, e.metric, exprString(e))
	case *neg:
		v, u := ev.eval(e.x)
		return -v, u
	case *binary:
		return ev.binary(e)
	}
	panic(fmt.Sprintf("assert: unknown node %T", e))
}

func (ev *evaluator) binary(e *binary) (float64, *undefined) {
	l, u := ev.eval(e.l)
	if u != nil {
		return 0, u
	}
	r, u := ev.eval(e.r)
	if u != nil {
		return 0, u
	}
	var v float64
	switch e.op {
	case '+':
		v = l + r
	case '-':
		v = l - r
	case '*':
		v = l * r
	case '/':
		if r == 0 {
			return 0, &undefined{msg: fmt.Sprintf("division by zero: %s is 0 %s", exprString(e.r), ev.win.describe())}
		}
		v = l / r
	}
	if math.IsNaN(v) {
		return 0, &undefined{msg: fmt.Sprintf("%s is not a number %s", exprString(e), ev.win.describe())}
	}
	return v, nil
}

// aggregate applies fn to the samples of metric in the window; text names the
// expression in messages.
func (ev *evaluator) aggregate(fn string, q float64, metric, text string) (float64, *undefined) {
	if ev.winErr != nil {
		return 0, &undefined{msg: ev.winErr.Error()}
	}
	if ev.env.Metrics == nil {
		return 0, &undefined{msg: "no metrics to evaluate " + text + " against (Env.Metrics is nil)"}
	}
	values := ev.samples(metric)
	switch fn {
	case "count":
		return float64(len(values)), nil
	case "sum":
		return sum(values), nil
	case "rate":
		length, ok := ev.spans.length()
		if !ok {
			return 0, &undefined{msg: fmt.Sprintf("%s needs the window length, but Env.End (the scenario duration) is not set", text)}
		}
		if length <= 0 {
			return 0, &undefined{msg: fmt.Sprintf("%s: the window %s has zero length", text, ev.win.describe())}
		}
		return sum(values) / length.Seconds(), nil
	}
	if len(values) == 0 {
		return 0, &undefined{noSamples: true, msg: fmt.Sprintf("no samples of %s %s", metric, ev.win.describe())}
	}
	switch fn {
	case "first":
		return values[0], nil
	case "last":
		return values[len(values)-1], nil
	case "mean":
		return sum(values) / float64(len(values)), nil
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	switch fn {
	case "min":
		return sorted[0], nil
	case "max":
		return sorted[len(sorted)-1], nil
	}
	return metrics.Quantile(sorted, q), nil
}

// samples returns the values of metric inside the window, in time order.
func (ev *evaluator) samples(metric string) []float64 {
	if values, ok := ev.values[metric]; ok {
		return values
	}
	series := ev.env.Metrics.Series(metric)
	if !slices.IsSortedFunc(series, func(a, b metrics.Sample) int { return cmpDur(a.T, b.T) }) {
		series = slices.Clone(series)
		sort.SliceStable(series, func(i, j int) bool { return series[i].T < series[j].T })
	}
	values := []float64{}
	for _, s := range series {
		if ev.spans.contains(s.T) {
			values = append(values, s.V)
		}
	}
	ev.values[metric] = values
	return values
}

func sum(values []float64) float64 {
	total := 0.0
	for _, v := range values {
		total += v
	}
	return total
}
