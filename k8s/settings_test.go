package k8s_test

import (
	"strconv"
	"strings"

	"github.com/orderflow/orderflow/internal/platform/config"
)

// roleSettings is the settings struct each deployable role reads (see
// cmd/orderflow/main.go). Both the manifests and docker-compose.yml give each
// role exactly the variables of its struct's tags: a missing one silently
// falls back to the binary's local-stack default (loopback addresses,
// sandbox credentials); an extra one is configuration, or a credential, that
// a process does not need.
var roleSettings = map[string]any{
	"api":                  config.API{},
	"frontend":             config.Frontend{},
	"worker orders":        config.OrdersWorker{},
	"worker inventory":     config.InventoryWorker{},
	"worker notifications": config.NotificationsWorker{},
	"worker fulfilment":    config.FulfilmentWorker{},
	"migrate":              config.Migrate{},
	// The init container of api and the workers: waits for the migrate
	// Job's schema, writes nothing.
	"wait-for-schema":   config.SchemaWait{},
	"inventory-rebuild": config.InventoryRebuild{},
	// Development only (docker-compose.yml's migrate), a role of its own
	// like a worker's queue: --seed also creates the demo customer. The
	// manifests never pass it (checkProductionRoles) and the binary refuses
	// it in production, so no production workload reads DEMO_CUSTOMER_*.
	"migrate --seed": config.Seed{},
	// Development and tests only; never in the manifests.
	"sandbox": config.Sandbox{},
}

// settingsByRole is every environment variable each role reads.
var settingsByRole = func() map[string][]string {
	out := map[string][]string{}
	for role, settings := range roleSettings {
		out[role] = config.Names(settings)
	}
	return out
}()

// configDefaults maps each environment variable to the binary's built-in
// value (the local stack's), as text.
var configDefaults = func() map[string]string {
	out := map[string]string{}
	for _, kv := range config.Environ(config.Defaults[config.Stack]()) {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}()

// undeployedRoles are roles of cmd/orderflow that run neither in k8s/ nor in
// docker-compose.yml as a service of their own.
var undeployedRoles = []string{"dev", "loadgen"}

// roleOf names the role a command line runs: "worker orders" for
// `worker --queue orders`, "migrate --seed" for `migrate --seed`, else the
// subcommand.
func roleOf(args []string) string {
	if len(args) == 0 {
		return ""
	}
	if args[0] == "worker" {
		q, _ := queueOf(args)
		return "worker " + q
	}
	if args[0] == "migrate" && seeds(args[1:]) {
		return "migrate --seed"
	}
	return args[0]
}

// seeds reports whether migrate's flags turn --seed on, in any spelling the
// flag package takes: -seed, --seed, --seed=true.
func seeds(flags []string) bool {
	on := false
	for _, f := range flags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if !strings.HasPrefix(f, "-") || name != "seed" {
			continue
		}
		on = true
		if hasValue {
			on, _ = strconv.ParseBool(value)
		}
	}
	return on
}
