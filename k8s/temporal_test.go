package k8s_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	helmValuesFile    = "../temporal/helm/values.yaml"
	dynamicConfigFile = "../temporal/dynamicconfig/production.yaml"
)

// dynamicConfigEntry is one value of a dynamic config key, as the server reads it.
type dynamicConfigEntry struct {
	Value       any               `json:"value"`
	Constraints map[string]string `json:"constraints,omitempty"`
}

// constraintKeys are the constraint names the server's file client accepts.
var constraintKeys = []string{"namespace", "namespaceId", "taskQueueName", "taskQueueType", "shardId", "taskType", "destination"}

func readYAML(t *testing.T, path string, strict bool, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strict {
		err = yaml.UnmarshalStrict(data, into)
	} else {
		err = yaml.Unmarshal(data, into)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// dig follows a path of map keys through decoded YAML.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestDynamicConfig(t *testing.T) {
	var dc map[string][]dynamicConfigEntry
	readYAML(t, dynamicConfigFile, true, &dc)
	if len(dc) == 0 {
		t.Fatal("no dynamic config entries")
	}
	for key, entries := range dc {
		if !strings.Contains(key, ".") || len(entries) == 0 {
			t.Errorf("%s: want a dotted key with at least one value", key)
		}
		for _, e := range entries {
			if e.Value == nil {
				t.Errorf("%s: entry without value", key)
			}
			for c := range e.Constraints {
				if !slices.Contains(constraintKeys, c) {
					t.Errorf("%s: unknown constraint %q (the server would never match it)", key, c)
				}
			}
		}
	}

	// The Helm chart cannot include the file, so values.yaml holds a copy.
	var values, file map[string]any
	readYAML(t, helmValuesFile, false, &values)
	readYAML(t, dynamicConfigFile, false, &file)
	if inHelm := dig(values, "server", "dynamicConfig"); !reflect.DeepEqual(inHelm, any(file)) {
		t.Errorf("server.dynamicConfig in %s differs from %s:\nhelm: %v\nfile: %v", helmValuesFile, dynamicConfigFile, inHelm, file)
	}
}

func TestHelmValues(t *testing.T) {
	var values map[string]any
	readYAML(t, helmValuesFile, false, &values)

	if n, ok := dig(values, "server", "config", "persistence", "numHistoryShards").(float64); !ok || n < 1 {
		t.Errorf("numHistoryShards must be set explicitly: it can never change after install")
	}
	stores, _ := dig(values, "server", "config", "persistence", "datastores").(map[string]any)
	for _, name := range []string{"default", "visibility"} {
		sql, ok := dig(stores, name, "sql").(map[string]any)
		if !ok {
			t.Errorf("datastore %s: no external sql store", name)
			continue
		}
		if _, literal := sql["password"]; literal {
			t.Errorf("datastore %s: literal password in values; use existingSecret", name)
		}
		if sql["existingSecret"] == nil || sql["existingSecret"] == "" {
			t.Errorf("datastore %s: no existingSecret", name)
		}
		if p, _ := sql["pluginName"].(string); !strings.HasPrefix(p, "postgres") {
			t.Errorf("datastore %s: plugin %q, want PostgreSQL", name, p)
		}
	}

	// The namespace the apps use must be one the chart creates.
	s := load(t)
	appNS := s.configMaps[configMapName].Data["TEMPORAL_NAMESPACE"]
	created := false
	nsList, _ := dig(values, "server", "config", "namespaces", "namespace").([]any)
	for _, ns := range nsList {
		created = created || dig(ns, "name") == appNS
	}
	if dig(values, "server", "config", "namespaces", "create") != true || !created {
		t.Errorf("TEMPORAL_NAMESPACE=%q is not created by the Helm values", appNS)
	}

	// Development and production run the same Web UI.
	p, err := loadCompose(t, composeFile)
	if err != nil {
		t.Fatal(err)
	}
	_, composeUI, _ := strings.Cut(p.Services["temporal-ui"].Image, ":")
	if helmUI := dig(values, "web", "image", "tag"); helmUI != composeUI {
		t.Errorf("Web UI %v in Helm, %s in docker-compose.yml", helmUI, composeUI)
	}
}
