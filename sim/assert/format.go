package assert

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// formatValue writes v in unit u with sig significant digits (at least; the
// integer part of a plain number is never cut).
func formatValue(v float64, u unit, sig int) string {
	switch u {
	case unitDur:
		return formatSeconds(v, sig)
	case unitPct:
		return formatNumber(v*100, sig) + "%"
	}
	return formatNumber(v, sig)
}

// formatNumber writes v with sig significant digits, trailing zeros dropped.
func formatNumber(v float64, sig int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	e := int(math.Floor(math.Log10(abs(v))))
	if e < -6 || e >= 15 {
		return strconv.FormatFloat(v, 'g', sig, 64)
	}
	s := strconv.FormatFloat(v, 'f', max(0, sig-1-e), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// formatSeconds writes v seconds as a Go duration rounded to sig significant
// digits, or as a number of seconds when it does not fit a time.Duration.
func formatSeconds(v float64, sig int) string {
	ns := math.Round(v * 1e9)
	if math.IsNaN(ns) || abs(ns) >= math.MaxInt64/2 {
		return formatNumber(v, sig) + "s"
	}
	d := time.Duration(ns)
	digits := len(strconv.FormatInt(int64(abs(ns)), 10))
	if digits > sig {
		d = d.Round(time.Duration(math.Pow10(digits - sig)))
	}
	return formatDuration(d)
}

// parseValue reads back what formatValue wrote.
func parseValue(s string, u unit) float64 {
	switch {
	case u == unitPct:
		n, _ := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		return percentValue(n)
	case u == unitDur:
		if d, err := time.ParseDuration(s); err == nil {
			return d.Seconds()
		}
		n, _ := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
		return n
	}
	n, _ := strconv.ParseFloat(s, 64)
	return n
}

// formatExact writes v with 4 significant digits, or more if needed to read
// back as v (as the same nanosecond for durations).
func formatExact(v float64, u unit) string {
	for sig := 4; sig <= 19; sig++ {
		s := formatValue(v, u, sig)
		back := parseValue(s, u)
		if back == v || u == unitDur && math.Round(back*1e9) == math.Round(v*1e9) {
			return s
		}
	}
	return fallback(v, u)
}

// formatMeasured writes v with 4 significant digits, or more if needed for the
// text to compare with the expected value rv as v does: a measured 0.99949
// against ">= 0.9995" shows as 0.99949, not as 0.9995.
func formatMeasured(v float64, u unit, cmp string, rv float64) string {
	want := compare(cmp, v, rv)
	for sig := 4; sig <= 19; sig++ {
		s := formatValue(v, u, sig)
		if compare(cmp, parseValue(s, u), rv) == want {
			return s
		}
	}
	return fallback(v, u)
}

// fallback writes v exactly in the shortest form.
func fallback(v float64, u unit) string {
	switch u {
	case unitDur:
		return formatShortest(v) + "s"
	case unitPct:
		return formatShortest(v*100) + "%"
	}
	return formatShortest(v)
}
