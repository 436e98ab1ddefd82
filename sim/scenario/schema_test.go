package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

const schemaFile = "../../scenarios/schema.json"

// TestSchemaUpToDate keeps scenarios/schema.json equal to JSONSchema(); run
// with -update to rewrite it after a model change.
func TestSchemaUpToDate(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from JSONSchema(); run go test ./sim/scenario -run Schema -update", schemaFile)
	}
}

// TestSchemaFieldsExist catches a description or constraint left behind
// by a renamed field.
func TestSchemaFieldsExist(t *testing.T) {
	types := map[string]reflect.Type{}
	for typ := range nouns {
		types[typ.Name()] = typ
	}
	for key := range fieldSchema {
		typ, field, _ := strings.Cut(key, ".")
		if _, ok := yamlFields(types[typ])[field]; types[typ] == nil || !ok {
			t.Errorf("fieldSchema[%q] names no model field", key)
		}
	}
}

// TestSchemaShape spot-checks the generated schema.
func TestSchemaShape(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Schema   string   `json:"$schema"`
		Required []string `json:"required"`
		Defs     map[string]struct {
			Properties map[string]map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || !reflect.DeepEqual(s.Required, []string{"name", "duration", "topology"}) {
		t.Errorf("$schema %q, required %v", s.Schema, s.Required)
	}
	do := s.Defs["Event"].Properties["do"]["enum"]
	if len(do.([]any)) != len(FaultKinds) {
		t.Errorf("Event.do enum = %v", do)
	}
	if got := s.Defs["Server"].Properties["options"]["type"]; got != "object" {
		t.Errorf("options type = %v", got)
	}
}
