package k8s_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KEDA's types, hand-written: scaledObject and triggerAuthentication mirror
// the fields of the CRDs' schemas (keda.sh/v1alpha1, KEDA 2.21) that
// components/keda* may use, with their JSON names, so that the strict decode
// rejects any other field as the API server's structural schema would prune
// or refuse it. github.com/kedacore/keda/v2/apis/keda/v1alpha1 would be the
// real thing, but it pulls KEDA's whole dependency tree (and its own
// k8s.io/* versions) into this module for four structs; a field the
// component starts using is added here, from the CRD.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              scaledObjectSpec `json:"spec"`
}

type scaledObjectSpec struct {
	ScaleTargetRef        scaleTarget     `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`
	Advanced              *advancedConfig `json:"advanced,omitempty"`
	Triggers              []scaleTrigger  `json:"triggers"`
	Fallback              *fallback       `json:"fallback,omitempty"`
}

type scaleTarget struct {
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	Name                   string `json:"name"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type advancedConfig struct {
	HorizontalPodAutoscalerConfig *hpaConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool       `json:"restoreToOriginalReplicaCount,omitempty"`
}

type hpaConfig struct {
	Name     string                                         `json:"name,omitempty"`
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

type fallback struct {
	FailureThreshold int32 `json:"failureThreshold"`
	Replicas         int32 `json:"replicas"`
}

type scaleTrigger struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *authenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type authenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

type triggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              triggerAuthenticationSpec `json:"spec"`
}

type triggerAuthenticationSpec struct {
	SecretTargetRef []authSecretTargetRef `json:"secretTargetRef,omitempty"`
	Env             []authEnvironment     `json:"env,omitempty"`
}

type authSecretTargetRef struct {
	Parameter string `json:"parameter"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}

type authEnvironment struct {
	Parameter     string `json:"parameter"`
	Name          string `json:"name"`
	ContainerName string `json:"containerName,omitempty"`
}

// temporalMetadata are the temporal scaler's metadata keys (KEDA's docs,
// scalers/temporal, 2.21-2.22), less the deprecated ones; temporalAuth its
// authentication parameters, from a TriggerAuthentication.
var (
	temporalMetadata = []string{"endpoint", "endpointFromEnv", "namespace", "activationTargetQueueSize", "targetQueueSize",
		"taskQueue", "queueTypes", "workerDeploymentName", "workerDeploymentBuildId", "minConnectTimeout", "unsafeSsl",
		"tlsServerName", "enableTLS"}
	temporalAuth = []string{"apiKey", "ca", "cert", "key", "keyPassword"}
)

// checkScaledObjects: each ScaledObject (components/keda) scales a worker
// Deployment of the set, within bounds, on that worker's own task queue and
// version in the Temporal namespace the workers use, and authenticates with
// keys the Secret has.
func checkScaledObjects(s *set) []error {
	var errs []error
	cm := s.configMaps[configMapName]
	if cm == nil {
		cm = &corev1.ConfigMap{} // checkProductionRoles reports it
	}
	for _, name := range sortedKeys(s.scaledObjects) {
		so := s.scaledObjects[name]
		where := "ScaledObject/" + name
		ref := so.Spec.ScaleTargetRef
		d, ok := s.deployments[ref.Name]
		if (ref.APIVersion != "" && ref.APIVersion != "apps/v1") || (ref.Kind != "" && ref.Kind != "Deployment") || !ok {
			errs = append(errs, fmt.Errorf("%s: target %s %s/%s is not a shipped Deployment", where, ref.APIVersion, ref.Kind, ref.Name))
			continue
		}
		if !isWorker(d) {
			errs = append(errs, fmt.Errorf("%s: scales Deployment/%s, which is no worker", where, ref.Name))
			continue
		}
		minR, maxR := so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount
		switch {
		case minR == nil || *minR < s.minReplicas:
			// KEDA's default is 0: no worker polls, so Temporal has nobody
			// to hand the backlog to that would wake it.
			errs = append(errs, fmt.Errorf("%s: minReplicaCount must be at least %d", where, s.minReplicas))
		case maxR == nil || *maxR < *minR:
			errs = append(errs, fmt.Errorf("%s: maxReplicaCount below minReplicaCount", where))
		}
		if d.Spec.Replicas != nil {
			errs = append(errs, fmt.Errorf("Deployment/%s: sets replicas although %s owns the count", ref.Name, where))
		}
		queue, version := "", d.Spec.Template.Labels[versionLabel]
		for _, c := range d.Spec.Template.Spec.Containers {
			if q, n := queueOf(append(slices.Clone(c.Command), c.Args...)); n == 1 {
				queue = q
			}
		}
		temporal := 0
		for i, tr := range so.Spec.Triggers {
			tw := fmt.Sprintf("%s trigger %d (%s)", where, i, tr.Type)
			switch tr.Type {
			case "temporal":
				temporal++
				for _, k := range sortedKeys(tr.Metadata) {
					if !slices.Contains(temporalMetadata, k) {
						errs = append(errs, fmt.Errorf("%s: unknown metadata %q (the scaler ignores it)", tw, k))
					}
				}
				m := tr.Metadata
				want := map[string]string{
					"endpoint":                cm.Data["TEMPORAL_ADDRESS"],
					"namespace":               cm.Data["TEMPORAL_NAMESPACE"],
					"taskQueue":               queue,
					"workerDeploymentName":    "orderflow-" + queue, // workers.DeploymentName
					"workerDeploymentBuildId": version,
				}
				for _, k := range sortedKeys(want) {
					if m[k] != want[k] {
						errs = append(errs, fmt.Errorf("%s: %s %q, want %q (what Deployment/%s polls)", tw, k, m[k], want[k], ref.Name))
					}
				}
				if n, err := strconv.Atoi(m["targetQueueSize"]); err != nil || n < 1 {
					errs = append(errs, fmt.Errorf("%s: targetQueueSize %q, want a positive count", tw, m["targetQueueSize"]))
				}
				if v, ok := m["activationTargetQueueSize"]; ok {
					if n, err := strconv.Atoi(v); err != nil || n < 0 {
						errs = append(errs, fmt.Errorf("%s: activationTargetQueueSize %q", tw, v))
					}
				}
				if v, ok := m["queueTypes"]; ok {
					for _, qt := range strings.Split(v, ",") {
						if qt != "workflow" && qt != "activity" {
							errs = append(errs, fmt.Errorf("%s: queueTypes %q: workflow, activity or both", tw, v))
						}
					}
				}
				if a := tr.AuthenticationRef; a != nil {
					if a.Kind != "" && a.Kind != "TriggerAuthentication" {
						errs = append(errs, fmt.Errorf("%s: authenticationRef kind %q", tw, a.Kind))
					} else if _, ok := s.triggerAuthentications[a.Name]; !ok {
						errs = append(errs, fmt.Errorf("%s: TriggerAuthentication %q is not shipped", tw, a.Name))
					}
				}
			case "cpu", "memory":
				if tr.MetricType != autoscalingv2.UtilizationMetricType {
					errs = append(errs, fmt.Errorf("%s: metricType %q, want Utilization", tw, tr.MetricType))
				}
				if n, err := strconv.Atoi(tr.Metadata["value"]); err != nil || n < 1 || n > 100 {
					errs = append(errs, fmt.Errorf("%s: value %q, want a percentage", tw, tr.Metadata["value"]))
				}
				for _, c := range d.Spec.Template.Spec.Containers {
					if _, ok := c.Resources.Requests[corev1.ResourceName(tr.Type)]; !ok {
						errs = append(errs, fmt.Errorf("%s: Deployment/%s container %s has no %s request", tw, ref.Name, c.Name, tr.Type))
					}
				}
			default:
				errs = append(errs, fmt.Errorf("%s: trigger type %q; the workers scale on their backlog (temporal) and cpu", tw, tr.Type))
			}
		}
		if temporal != 1 {
			errs = append(errs, fmt.Errorf("%s: %d temporal triggers, want 1 (the worker's backlog)", where, temporal))
		}
	}
	for _, name := range sortedKeys(s.triggerAuthentications) {
		for _, ref := range s.triggerAuthentications[name].Spec.SecretTargetRef {
			where := fmt.Sprintf("TriggerAuthentication/%s parameter %s", name, ref.Parameter)
			if !slices.Contains(temporalAuth, ref.Parameter) {
				errs = append(errs, fmt.Errorf("%s: not an authentication parameter of the temporal scaler %v", where, temporalAuth))
			}
			if ref.Name != secretName || !secretHasKey(s.secrets[ref.Name], ref.Key) {
				errs = append(errs, fmt.Errorf("%s: Secret %s key %s is not one the example Secret documents", where, ref.Name, ref.Key))
			}
		}
		if len(s.triggerAuthentications[name].Spec.Env) > 0 {
			errs = append(errs, fmt.Errorf("TriggerAuthentication/%s: env parameters: use the Secret", name))
		}
	}
	return errs
}

// TestComponentChecksCatch breaks a render of the base with components/keda
// (and an auth component) in one way each, as TestChecksCatch does the
// base: each new check must report it.
func TestComponentChecksCatch(t *testing.T) {
	cases := []breakage{
		{"no schema wait", func(s *set) { s.deployments["api"].Spec.Template.Spec.InitContainers = nil },
			"Deployment/api: 0 wait-for-schema init containers"},
		{"schema wait of another release", func(s *set) {
			s.deployments["worker-orders"].Spec.Template.Spec.InitContainers[0].Image = imageRepo + ":0.0.9"
		}, "must wait for the migrations of the binary that serves"},
		{"schema wait with a setting it does not read", func(s *set) {
			c := &s.deployments["api"].Spec.Template.Spec.InitContainers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "API_ADDR", Value: ":8080"})
		}, "sets API_ADDR, which role wait-for-schema does not read"},
		{"schema wait without its database", func(s *set) {
			c := &s.deployments["api"].Spec.Template.Spec.InitContainers[0]
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "DATABASE_URL" })
		}, "role wait-for-schema reads DATABASE_URL, but it is not set"},
		{"scaled on another queue", func(s *set) {
			s.scaledObjects["worker-orders"].Spec.Triggers[0].Metadata["taskQueue"] = "inventory"
		}, `taskQueue "inventory", want "orders"`},
		{"scaled on another version's backlog", func(s *set) {
			s.scaledObjects["worker-orders"].Spec.Triggers[0].Metadata["workerDeploymentBuildId"] = "0.0.9"
		}, "workerDeploymentBuildId"},
		{"scaled to zero", func(s *set) {
			s.scaledObjects["worker-inventory"].Spec.MinReplicaCount = new(int32)
		}, "minReplicaCount must be at least"},
		{"a typo in the scaler's metadata", func(s *set) {
			s.scaledObjects["worker-orders"].Spec.Triggers[0].Metadata["targetQueueLength"] = "5"
		}, `unknown metadata "targetQueueLength"`},
		{"HPA and ScaledObject on one worker", func(s *set) {
			h := s.hpas["api"].DeepCopy()
			h.Name, h.Spec.ScaleTargetRef.Name = "worker-orders", "worker-orders"
			s.hpas[h.Name] = h
		}, "has 2 autoscalers"},
		{"ScaledObject without its version", func(s *set) {
			delete(s.scaledObjects["worker-notifications"].Labels, versionLabel)
		}, "ScaledObject/worker-notifications: label app.kubernetes.io/version"},
		{"API key from a key the Secret lacks", func(s *set) {
			s.triggerAuthentications["temporal-api-key"].Spec.SecretTargetRef[0].Key = "TEMPORAL_KEY"
		}, "is not one the example Secret documents"},
		{"unshipped TriggerAuthentication", func(s *set) {
			s.scaledObjects["worker-orders"].Spec.Triggers[0].AuthenticationRef.Name = "temporal"
		}, `TriggerAuthentication "temporal" is not shipped`},
	}
	requireCaught(t, cases, func(t *testing.T) *set { return renderWith(t, "keda", "keda-temporal-api-key") })
	// The hand-written types are strict too.
	for name, doc := range map[string]string{
		"HPA field":         "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {scaleTargetRef: {name: x}, minReplicas: 2, triggers: []}\n",
		"trigger typo":      "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {scaleTargetRef: {name: x}, triggers: [{type: temporal, metdata: {}}]}\n",
		"auth at top level": "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: x}\nsecretTargetRef: []\n",
	} {
		if _, err := decode([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
