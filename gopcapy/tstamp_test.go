package gopcapy

import "testing"

func TestTstampTypesOfACreatedHandle(t *testing.T) {
	r, err := Create("lo")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	names, err := r.TstampTypes()
	if err != nil {
		t.Fatalf("TstampTypes: %v", err)
	}
	for _, name := range names {
		if rc, err := r.SetTstampType(name); err != nil || rc < 0 {
			t.Errorf("SetTstampType(%q) = %d, %v", name, rc, err)
		}
	}
	if _, err := r.SetTstampType("no-such-source"); err == nil {
		t.Error("SetTstampType(unknown name) gave no error")
	}
}
