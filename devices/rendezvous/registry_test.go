package rendezvous

import (
	"net/netip"
	"testing"
	"time"
)

func testRegistry(t *testing.T, pool string, devs ...string) *Registry {
	t.Helper()
	var list []Device
	for _, d := range devs {
		list = append(list, Device{ID: d, Password: "pw-" + d})
	}
	r, err := NewRegistry(list, netip.MustParsePrefix(pool), KDF{Time: 1, MemoryKiB: 64, Threads: 1}, "s", 15*time.Second, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistryLifecycle(t *testing.T) {
	r := testRegistry(t, "10.200.0.0/30", "a", "b", "c")
	ep := netip.MustParseAddrPort("198.18.0.2:4000")
	a, _ := r.Lookup("a")
	if _, ok := r.Lookup("impostor"); ok {
		t.Fatal("seed 001: an unlisted id is in the registry")
	}
	if r.Online(a, 0) {
		t.Fatal("online before registering")
	}
	addr, err := r.Register(a, ep, 0)
	if err != nil || addr != netip.MustParseAddr("10.200.0.1") {
		t.Fatalf("first address: %v %v", addr, err)
	}
	b, _ := r.Lookup("b")
	if addr, _ := r.Register(b, ep, 0); addr != netip.MustParseAddr("10.200.0.2") {
		t.Fatalf("second address: %v", addr)
	}
	c, _ := r.Lookup("c")
	if _, err := r.Register(c, ep, 0); err != ErrPoolFull {
		t.Fatalf("a /30 has two host addresses; third registration: %v", err)
	}
	if again, _ := r.Register(a, ep, time.Second); again != netip.MustParseAddr("10.200.0.1") {
		t.Fatal("re-registration moved the address")
	}
	if _, ok := r.Touch(a, 1, ep, 2*time.Second); !ok {
		t.Fatal("heartbeat 1 refused")
	}
	if _, ok := r.Touch(a, 1, ep, 3*time.Second); ok {
		t.Fatal("replayed heartbeat accepted")
	}
	if moved, ok := r.Touch(a, 2, netip.MustParseAddrPort("198.18.0.9:4000"), 3*time.Second); !ok || !moved {
		t.Fatal("a new endpoint is not reported")
	}
	if !r.Online(a, 18*time.Second) || r.Online(a, 19*time.Second) {
		t.Fatal("online until 15 s of silence, offline after")
	}
	ch := r.Sweep(19 * time.Second)
	if len(ch) != 2 || ch[0].Kind != "offline" {
		t.Fatalf("sweep at 19 s: %+v; want a and b offline", ch)
	}
	if len(r.Sweep(20*time.Second)) != 0 {
		t.Fatal("offline announced twice")
	}
	if _, ok := r.Touch(a, 3, ep, 50*time.Second); !ok || !r.Online(a, 50*time.Second) {
		t.Fatal("a heartbeat brings the device back online")
	}
	ch = r.Sweep(61 * time.Second)
	if len(ch) != 1 || ch[0].ID != "b" || ch[0].Kind != "released" {
		t.Fatalf("sweep at 61 s: %+v; want b released", ch)
	}
	if b.Registered || r.Online(b, 61*time.Second) {
		t.Fatal("released device still registered")
	}
	if _, ok := r.Touch(b, 9, ep, 62*time.Second); ok {
		t.Fatal("a released device's heartbeat is accepted")
	}
	if addr, err := r.Register(c, ep, 62*time.Second); err != nil || addr != netip.MustParseAddr("10.200.0.2") {
		t.Fatalf("the released address goes to the next device: %v %v", addr, err)
	}
}

func TestChallenge(t *testing.T) {
	r := testRegistry(t, "10.200.0.0/24", "a")
	a, _ := r.Lookup("a")
	n := [NonceLen]byte{1}
	if r.TakeChallenge(a, n, 0) {
		t.Fatal("a register without a challenge is accepted")
	}
	r.Challenge(a, n, 0)
	if got, ok := r.Outstanding(a, time.Second); !ok || got != n {
		t.Fatal("a repeated hello must get the outstanding challenge")
	}
	if r.TakeChallenge(a, [NonceLen]byte{2}, time.Second) {
		t.Fatal("another nonce is accepted")
	}
	if !r.TakeChallenge(a, n, time.Second) {
		t.Fatal("the right nonce is refused")
	}
	if r.TakeChallenge(a, n, time.Second) {
		t.Fatal("a replayed register is accepted: the challenge must be single use")
	}
	r.Challenge(a, n, 0)
	if r.TakeChallenge(a, n, time.Minute) {
		t.Fatal("an expired challenge is accepted")
	}
	if k := r.KDFFor(a); k.Salt != a.Salt || k.Time != 1 {
		t.Fatalf("KDF announcement %+v", k)
	}
}

func TestOptions(t *testing.T) {
	if errs := DefaultOptions().Check(nil); len(errs) != 1 {
		t.Fatalf("defaults have an empty registry and must say so: %v", errs)
	}
	o := DefaultOptions()
	o.Generate = []GenerateOption{{Pattern: "lin%d-stb0", Count: 3}}
	o.Devices = []DeviceOption{{ID: "victim", Password: "right"}}
	if errs := o.Check(nil); len(errs) != 0 {
		t.Fatal(errs)
	}
	devs, _ := o.devices()
	if len(devs) != 4 || devs[3].ID != "lin2-stb0" || devs[3].Password != DerivedPassword("boxlab", "lin2-stb0") {
		t.Fatalf("generated registry: %+v", devs)
	}
	for _, bad := range []func(o *Options){
		func(o *Options) { o.Generate[0].Pattern = "stb" },
		func(o *Options) { o.Generate[0].Pattern = "stb%d-%s" },
		func(o *Options) { o.Generate[0].Count = 0 },
		func(o *Options) { o.Devices = append(o.Devices, DeviceOption{ID: "lin0-stb0", Password: "x"}) },
		func(o *Options) { o.Devices[0].Password = "" },
		func(o *Options) { o.Overlay = "10.0.0.0/31" },
		func(o *Options) { o.KDF.MemoryKiB = 1 << 30 },
		func(o *Options) { o.Expires = 1 },
	} {
		o := DefaultOptions()
		o.Generate = []GenerateOption{{Pattern: "lin%d-stb0", Count: 3}}
		o.Devices = []DeviceOption{{ID: "victim", Password: "right"}}
		bad(o)
		if errs := o.Check(nil); len(errs) == 0 {
			t.Errorf("accepted %+v", o)
		}
	}
	if Group("lin3-stb0") != "lin" || Group("tosym0-stb0") != "tosym" || Group("rv") != "other" {
		t.Fatal("Group")
	}
}
