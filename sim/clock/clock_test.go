package clock

import (
	"testing"
	"time"
)

func TestConversions(t *testing.T) {
	start := time.Unix(1000, 0)
	tests := []struct {
		speed    float64
		sim      time.Duration
		wantReal time.Duration
	}{
		{1, time.Second, time.Second},
		{10, 30 * time.Second, 3 * time.Second},
		{0.5, time.Second, 2 * time.Second},
		{0, time.Second, time.Second}, // speed <= 0 means 1
	}
	for _, tt := range tests {
		c := NewAt(start, tt.speed)
		if got := c.Real(tt.sim); got != tt.wantReal {
			t.Errorf("speed %v: Real(%v) = %v, want %v", tt.speed, tt.sim, got, tt.wantReal)
		}
		if got := c.Sim(tt.wantReal); got != tt.sim {
			t.Errorf("speed %v: Sim(%v) = %v, want %v", tt.speed, tt.wantReal, got, tt.sim)
		}
		if got := c.At(start.Add(tt.wantReal)); got != tt.sim {
			t.Errorf("speed %v: At = %v, want %v", tt.speed, got, tt.sim)
		}
	}
}
