package assert

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		spec, src, want string
	}{
		{"spec example: bare metric against a number", "keepalive.online_ratio >= 0.999", "keepalive.online_ratio >= 0.999"},
		{"spec example: quantile against a duration", "p95(command.latency) < 2s", "p95(command.latency) < 2s"},
		{"spec example: ratio after", "count(echo.reply) / count(echo.request) >= 0.99 after 10s", "count(echo.reply) / count(echo.request) >= 0.99 after 10s"},
		{"spec example: during fault", "max(echo.reply.rtt) <= 250ms during fault", "max(echo.reply.rtt) <= 250ms during fault"},
		{"spec example: during a named event", "sum(x) == 0 during reboot1", "sum(x) == 0 during reboot1"},
		{"spec example: between", "mean(a.b) - 1 > 0.5 between 1m and 2m", "mean(a.b) - 1 > 0.5 between 1m and 2m"},
		{"spec example: before", "count(echo.request) > 0 before 30s", "count(echo.request) > 0 before 30s"},
		{"whitespace-insensitive", "  p95 ( x )<2s\tafter\n10s ", "p95(x) < 2s after 10s"},
		{"no spaces at all", "count(a)/count(b)>=99%", "count(a) / count(b) >= 99%"},
		{"outside fault", "x != 0 outside fault", "x != 0 outside fault"},
		{"during a fault kind with a hyphen", "x < 1 during gateway-reboot", "x < 1 during gateway-reboot"},
		{"avg is written mean", "avg(x) <= 1", "mean(x) <= 1"},
		{"all functions", "count(a) + sum(b) + min(c) + max(d) + last(e) + first(f) + rate(g) > p50(h) + p90(i) + p999(j) + p05(k)",
			"count(a) + sum(b) + min(c) + max(d) + last(e) + first(f) + rate(g) > p50(h) + p90(i) + p999(j) + p05(k)"},
		{"numbers in shortest form", "x > 1e3", "x > 1000"},
		{"small numbers", "x > 0.000100", "x > 0.0001"},
		{"huge numbers keep an exponent", "x < 1e21", "x < 1e+21"},
		{"tiny numbers keep an exponent", "x > 1e-9", "x > 1e-09"},
		{"leading dot", "x > .5", "x > 0.5"},
		{"durations as Go prints them", "x < 90s", "x < 1m30s"},
		{"durations drop zero units", "x < 60m", "x < 1h"},
		{"microseconds", "x < 500us", "x < 500µs"},
		{"micro sign", "x < 500µs", "x < 500µs"},
		{"fractional duration", "x < 1.5s", "x < 1.5s"},
		{"percent", "x >= 99.9%", "x >= 99.9%"},
		{"precedence: * binds tighter than +", "a + b * c > 0", "a + b * c > 0"},
		{"redundant parentheses dropped", "(a * b) + ((c)) > (1)", "a * b + c > 1"},
		{"needed parentheses kept", "(a + b) * c > 0", "(a + b) * c > 0"},
		{"left associative", "a - b - c > 0", "a - b - c > 0"},
		{"right grouping kept", "a - (b - c) > 0", "a - (b - c) > 0"},
		{"right grouping kept for +", "a + (b + c) > 0", "a + (b + c) > 0"},
		{"division", "a / (b / c) > 0", "a / (b / c) > 0"},
		{"unary minus", "-x < -1", "-x < -1"},
		{"unary minus of a group", "-(a + b) < 0", "-(a + b) < 0"},
		{"double minus", "--x > 0", "--x > 0"},
		{"minus after minus", "a - -b > 0", "a - -b > 0"},
		{"keyword as a name segment", "after.x > 0 before 1s", "after.x > 0 before 1s"},
		{"function name as a bare metric", "count > 0", "count > 0"},
		{"underscore names", "_a.b_c.0 > 0", "_a.b_c.0 > 0"},
		{"between with mixed units", "x > 0 between 500ms and 1m30s", "x > 0 between 500ms and 1m30s"},
		{"a hyphen is minus, never part of a metric name", "echo-rtt < 1", "echo - rtt < 1"},
		{"after zero", "x > 0 after 0s", "x > 0 after 0s"},
		{"recovery per device", "recovery( mapmon.probe.valid )<=16s during renumber", "recovery(mapmon.probe.valid) <= 16s during renumber"},
	}
	for _, tt := range tests {
		a, err := Parse(tt.src)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", tt.spec, tt.src, err)
			continue
		}
		if got := a.String(); got != tt.want {
			t.Errorf("%s: Parse(%q).String() = %q, want %q", tt.spec, tt.src, got, tt.want)
		}
		if a.Source() != tt.src {
			t.Errorf("%s: Source() = %q, want %q", tt.spec, a.Source(), tt.src)
		}
		b, err := Parse(a.String())
		if err != nil || b.String() != a.String() {
			t.Errorf("%s: canonical %q does not parse back to itself: %v", tt.spec, a.String(), err)
		}
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		spec, src string
		off       int
		msg       string
	}{
		{"empty", "", 0, `want a number, duration, percent, metric or function call; got end of input`},
		{"spec: missing comparison", "p95(x)", 6, `want a comparison (<, <=, >, >=, ==, !=) after "p95(x)"; got end of input`},
		{"missing comparison before a value", "p95(x) 2s", 7, `want a comparison (<, <=, >, >=, ==, !=) after "p95(x)"; got "2s"`},
		{"missing right side", "p95(x) <", 8, `want a number, duration, percent, metric or function call after "<"; got end of input`},
		{"spec: unknown function", "p95x(y) < 1", 0, `unknown function "p95x"; want count, sum, min, max, mean, avg, last, first, rate, recovery or pNN`},
		{"unknown function", "median(y) < 1", 0, `unknown function "median"; want count, sum, min, max, mean, avg, last, first, rate, recovery or pNN`},
		{"quantile with one digit", "p5(y) < 1", 0, `quantile "p5": want two or more digits after p, e.g. p05, p50 or p999`},
		{"p100 is not the maximum", "p100(y) < 1", 0, `quantile "p100" would mean 0.100; use max for the largest sample`},
		{"function without a metric", "count() > 0", 6, `want a metric name inside count(...); got ")"`},
		{"function of a number", "count(1) > 0", 6, `want a metric name inside count(...); got "1"`},
		{"unclosed function", "count(x > 0", 8, `want ")" after "count(x"; got ">"`},
		{"unclosed parenthesis", "(a + b > 0", 7, `want ")" to close the "(" at col 1 after "a + b"; got ">"`},
		{"stray closing parenthesis", "x) < 1", 1, `want a comparison (<, <=, >, >=, ==, !=) after "x"; got ")"`},
		{"dangling operator", "x + < 1", 4, `want a number, duration, percent, metric or function call after "+"; got "<"`},
		{"unary plus", "+x < 1", 0, `want a number, duration, percent, metric or function call; got "+"`},
		{"two comparisons", "x < 1 < 2", 6, `want a window (after, before, between, during, outside) or end of input after "1"; got "<" (an assertion has one comparison)`},
		{"unknown window", "x < 1 sometimes", 6, `want a window (after, before, between, during, outside) or end of input after "1"; got "sometimes"`},
		{"window after an expression", "x < p95(y) since 1s", 11, `want a window (after, before, between, during, outside) or end of input after "p95(y)"; got "since"`},
		{"after without a duration", "x < 1 after", 11, `want a duration like 10s after "after"; got end of input`},
		{"window wants a duration, not a number", "x < 1 after 10", 12, `want a duration like 10s after "after"; got "10"`},
		{"no negative window", "x < 1 before -10s", 13, `want a duration like 10s after "before"; got "-"`},
		{"between without and", "x < 1 between 1m 2m", 17, `want "and" after "1m"; got "2m"`},
		{"between without an end", "x < 1 between 1m and", 20, `want a duration like 10s after "and"; got end of input`},
		{"between backwards", "x < 1 between 2m and 1m", 21, `want the end of "between" after its start 2m; got 1m`},
		{"between empty", "x < 1 between 1m and 60s", 21, `want the end of "between" after its start 1m; got 60s`},
		{"during without a name", "x < 1 during", 12, `want "fault" or an interval name after "during"; got end of input`},
		{"outside without a name", "x < 1 outside (", 14, `want "fault" or an interval name after "outside"; got "("`},
		{"two windows", "x < 1 after 10s during fault", 16, `want end of input after "10s"; got "during"`},
		{"keyword as a metric", "after < 1", 0, `want a number, duration, percent, metric or function call; got keyword "after"`},
		{"keyword as a right side", "x < during", 4, `want a number, duration, percent, metric or function call after "<"; got keyword "during"`},
		{"single =", "x = 1", 2, `want "==" to compare for equality; got "="`},
		{"! without =", "x ! 1", 2, `want "!=" after "!"; got " "`},
		{"upper case name", "Echo.rtt < 1", 0, `unexpected "Echo.rtt"; metric names, functions and keywords are lower case`},
		{"upper case keyword", "x < 1 AFTER 1s", 6, `unexpected "AFTER"; metric names, functions and keywords are lower case`},
		{"name ends with a dot", "echo. < 1", 4, `invalid metric name "echo.": want a-z, 0-9 or _ after "."; got " "`},
		{"empty name segment", "echo..rtt < 1", 4, `invalid metric name "echo.": want a-z, 0-9 or _ after "."; got "."`},
		{"bad duration unit", "x < 10x", 4, `invalid duration "10x"; want a number and a unit (ns, us, ms, s, m, h), e.g. 250ms, 2s, 1m30s`},
		{"duration without a final unit", "x < 1m30", 4, `invalid duration "1m30"; want a number and a unit (ns, us, ms, s, m, h), e.g. 250ms, 2s, 1m30s`},
		{"exponent in a duration", "x < 1e3s", 4, `invalid duration "1e3s"; want a number and a unit (ns, us, ms, s, m, h), e.g. 250ms, 2s, 1m30s`},
		{"two decimal points", "x < 1.2.3", 4, `invalid number "1.2.3"`},
		{"trailing decimal point", "x < 1.", 4, `invalid number "1.": want digits after the decimal point`},
		{"digit separators", "x < 10_000", 4, `invalid number "10_000"`},
		{"number out of range", "x < 1e999", 4, `number "1e999" is out of range`},
		{"unexpected character", "x < 1 @", 6, `unexpected character "@"`},
		{"non-ASCII character", "x ≤ 1", 2, `unexpected character "≤"`},
		{"invalid UTF-8", "x < \xff", 4, `unexpected byte 0xff; want UTF-8 text`},
		{"nesting is bounded", strings.Repeat("(", 1000) + "x", 1000, `expression nested more than 1000 deep`},
		{"trailing garbage after a name window", "x < 1 during a b", 15, `want end of input after "a"; got "b"`},
	}
	for _, tt := range tests {
		a, err := Parse(tt.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: Parse(%q) = %v, %v; want *SyntaxError", tt.spec, tt.src, a, err)
			continue
		}
		if se.Offset != tt.off || se.Msg != tt.msg {
			t.Errorf("%s: Parse(%q) error\n got offset %d: %s\nwant offset %d: %s", tt.spec, tt.src, se.Offset, se.Msg, tt.off, tt.msg)
		}
	}
}

func TestSyntaxErrorColumn(t *testing.T) {
	_, err := Parse("p95(x)")
	if got, want := err.Error(), `col 7: want a comparison (<, <=, >, >=, ==, !=) after "p95(x)"; got end of input`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestQuantileNames(t *testing.T) {
	// pNN is the quantile 0.NN: p95 = 0.95, p999 = 0.999.
	for fn, want := range map[string]float64{"p50": 0.5, "p95": 0.95, "p99": 0.99, "p999": 0.999, "p10": 0.1, "p05": 0.05, "p00": 0, "p9999": 0.9999} {
		c := &call{fn: fn}
		if err := c.resolve(); err != nil || c.q != want {
			t.Errorf("%s: q = %v, %v; want %v", fn, c.q, err, want)
		}
	}
}

func TestMetrics(t *testing.T) {
	a, err := Parse("count(b.x) / count(a) + b.x - p95(c) > last(a) during fault")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Metrics(), []string{"a", "b.x", "c"}; !slices.Equal(got, want) {
		t.Errorf("Metrics() = %v, want %v (sorted, unique)", got, want)
	}
	a, _ = Parse("1 < 2s")
	if got := a.Metrics(); len(got) != 0 {
		t.Errorf("Metrics() of constants = %v, want none", got)
	}
}
