package k8s_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/orderflow/orderflow/internal/platform/config"
)

const (
	namespace     = "orderflow"
	imageRepo     = "ghcr.io/orderflow/orderflow"
	configMapName = "orderflow-config"
	secretName    = "orderflow-secrets"
	// baseDir is what every overlay (overlays/*) builds on.
	baseDir = "base"
	// exampleSecretFile ships placeholder values and must never be applied.
	exampleSecretFile = baseDir + "/secret.example.yaml"
	// defaultShutdown is the binary's drain time when SHUTDOWN_TIMEOUT is unset.
	defaultShutdown = 30 * time.Second
	// workersDir holds what runs once per worker version (a worker's
	// Deployment and autoscaler); versionDir renders it as one version,
	// beside the others (README.md: Rolling out a new worker version).
	workersDir = baseDir + "/workers"
	versionDir = "worker-version"
	// versionLabel is a worker version's label: its pods', its selector's,
	// its Deployment's and autoscaler's. WORKER_BUILD_ID reads it from the
	// pod through buildIDField.
	versionLabel = "app.kubernetes.io/version"
	buildIDField = "metadata.labels['" + versionLabel + "']"
)

// workerQueues are the task queues; each needs exactly one worker Deployment
// per version.
var workerQueues = []string{"orders", "inventory", "notifications", "fulfilment"}

// productionRoles are the roles (settingsByRole keys) the manifests may run.
// The sandbox and dev roles are development only; inventory-rebuild only as
// the read-only --check (checkProductionRoles).
var productionRoles = []string{"api", "frontend", "worker orders", "worker inventory", "worker notifications",
	"worker fulfilment", "migrate", "inventory-rebuild", "wait-for-schema"}

// workerStopTimeout is how long a Temporal worker drains after its ops server
// has stopped, read from the worker options so the grace period check follows
// the code.
var workerStopTimeout = sync.OnceValues(func() (time.Duration, error) {
	const file = "../workers/workers.go"
	src, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`WorkerStopTimeout:\s*(\d+)\s*\*\s*time\.(Second|Minute)`).FindSubmatch(src)
	if m == nil {
		return 0, fmt.Errorf("%s: no `WorkerStopTimeout: N * time.Second`; update workerStopTimeout in k8s/manifests_test.go", file)
	}
	n, _ := strconv.Atoi(string(m[1]))
	if string(m[2]) == "Minute" {
		return time.Duration(n) * time.Minute, nil
	}
	return time.Duration(n) * time.Second, nil
})

// set is every object of k8s/base (or a render of an overlay), by kind and name.
type set struct {
	namespaces      map[string]*corev1.Namespace
	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]*corev1.Secret
	services        map[string]*corev1.Service
	deployments     map[string]*appsv1.Deployment
	jobs            map[string]*batchv1.Job
	cronJobs        map[string]*batchv1.CronJob
	hpas            map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs            map[string]*policyv1.PodDisruptionBudget
	ingresses       map[string]*networkingv1.Ingress
	networkPolicies map[string]*networkingv1.NetworkPolicy
	// The optional components' kinds (components/keda, components/monitoring).
	scaledObjects          map[string]*scaledObject
	triggerAuthentications map[string]*triggerAuthentication
	serviceMonitors        map[string]*monitoringv1.ServiceMonitor
	podMonitors            map[string]*monitoringv1.PodMonitor
	prometheusRules        map[string]*monitoringv1.PrometheusRule
	// What the checks expect of the cluster the set is for: production
	// (the base and overlays/production) by default; overlays/development
	// runs fewer replicas and ENVIRONMENT=development.
	minReplicas int32
	environment string
	// files maps "Kind/name" to the file that declares it, and objects to
	// the object.
	files   map[string]string
	objects map[string]any
}

// decode strictly decodes one YAML document into the k8s.io/api type chosen by
// its apiVersion and kind: unknown fields, duplicate keys and unknown kinds are
// errors, as they would be (or worse, silently dropped) on a real cluster.
func decode(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + "/" + tm.Kind {
	case "v1/Namespace":
		obj = &corev1.Namespace{}
	case "v1/ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1/Secret":
		obj = &corev1.Secret{}
	case "v1/Service":
		obj = &corev1.Service{}
	case "apps/v1/Deployment":
		obj = &appsv1.Deployment{}
	case "batch/v1/Job":
		obj = &batchv1.Job{}
	case "batch/v1/CronJob":
		obj = &batchv1.CronJob{}
	case "autoscaling/v2/HorizontalPodAutoscaler":
		obj = &autoscalingv2.HorizontalPodAutoscaler{}
	case "policy/v1/PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	case "networking.k8s.io/v1/Ingress":
		obj = &networkingv1.Ingress{}
	case "networking.k8s.io/v1/NetworkPolicy":
		obj = &networkingv1.NetworkPolicy{}
	case "keda.sh/v1alpha1/ScaledObject":
		obj = &scaledObject{}
	case "keda.sh/v1alpha1/TriggerAuthentication":
		obj = &triggerAuthentication{}
	case "monitoring.coreos.com/v1/ServiceMonitor":
		obj = &monitoringv1.ServiceMonitor{}
	case "monitoring.coreos.com/v1/PodMonitor":
		obj = &monitoringv1.PodMonitor{}
	case "monitoring.coreos.com/v1/PrometheusRule":
		obj = &monitoringv1.PrometheusRule{}
	default:
		return nil, fmt.Errorf("unsupported apiVersion/kind %q/%q", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, nil
}

// documents splits a multi-document YAML stream, skipping empty documents
// (a file's leading comment block, a trailing ---).
func documents(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			return nil, err
		}
		if len(probe) > 0 {
			docs = append(docs, doc)
		}
	}
}

func newSet() *set {
	return &set{
		namespaces:      map[string]*corev1.Namespace{},
		configMaps:      map[string]*corev1.ConfigMap{},
		secrets:         map[string]*corev1.Secret{},
		services:        map[string]*corev1.Service{},
		deployments:     map[string]*appsv1.Deployment{},
		jobs:            map[string]*batchv1.Job{},
		cronJobs:        map[string]*batchv1.CronJob{},
		hpas:            map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs:            map[string]*policyv1.PodDisruptionBudget{},
		ingresses:       map[string]*networkingv1.Ingress{},
		networkPolicies: map[string]*networkingv1.NetworkPolicy{},
		files:           map[string]string{},
		objects:         map[string]any{},

		scaledObjects:          map[string]*scaledObject{},
		triggerAuthentications: map[string]*triggerAuthentication{},
		serviceMonitors:        map[string]*monitoringv1.ServiceMonitor{},
		podMonitors:            map[string]*monitoringv1.PodMonitor{},
		prometheusRules:        map[string]*monitoringv1.PrometheusRule{},

		minReplicas: 2,
		environment: config.Production,
	}
}

func (s *set) add(file string, obj any) error {
	var kind string
	var meta metav1.ObjectMeta
	switch o := obj.(type) {
	case *corev1.Namespace:
		kind, meta = "Namespace", o.ObjectMeta
		s.namespaces[o.Name] = o
	case *corev1.ConfigMap:
		kind, meta = "ConfigMap", o.ObjectMeta
		s.configMaps[o.Name] = o
	case *corev1.Secret:
		kind, meta = "Secret", o.ObjectMeta
		s.secrets[o.Name] = o
	case *corev1.Service:
		kind, meta = "Service", o.ObjectMeta
		s.services[o.Name] = o
	case *appsv1.Deployment:
		kind, meta = "Deployment", o.ObjectMeta
		s.deployments[o.Name] = o
	case *batchv1.Job:
		kind, meta = "Job", o.ObjectMeta
		s.jobs[o.Name] = o
	case *batchv1.CronJob:
		kind, meta = "CronJob", o.ObjectMeta
		s.cronJobs[o.Name] = o
	case *autoscalingv2.HorizontalPodAutoscaler:
		kind, meta = "HorizontalPodAutoscaler", o.ObjectMeta
		s.hpas[o.Name] = o
	case *policyv1.PodDisruptionBudget:
		kind, meta = "PodDisruptionBudget", o.ObjectMeta
		s.pdbs[o.Name] = o
	case *networkingv1.Ingress:
		kind, meta = "Ingress", o.ObjectMeta
		s.ingresses[o.Name] = o
	case *networkingv1.NetworkPolicy:
		kind, meta = "NetworkPolicy", o.ObjectMeta
		s.networkPolicies[o.Name] = o
	case *scaledObject:
		kind, meta = "ScaledObject", o.ObjectMeta
		s.scaledObjects[o.Name] = o
	case *triggerAuthentication:
		kind, meta = "TriggerAuthentication", o.ObjectMeta
		s.triggerAuthentications[o.Name] = o
	case *monitoringv1.ServiceMonitor:
		kind, meta = "ServiceMonitor", o.ObjectMeta
		s.serviceMonitors[o.Name] = o
	case *monitoringv1.PodMonitor:
		kind, meta = "PodMonitor", o.ObjectMeta
		s.podMonitors[o.Name] = o
	case *monitoringv1.PrometheusRule:
		kind, meta = "PrometheusRule", o.ObjectMeta
		s.prometheusRules[o.Name] = o
	default:
		return fmt.Errorf("%s: no slot for %T", file, obj)
	}
	if meta.Name == "" {
		return fmt.Errorf("%s: %s without metadata.name", file, kind)
	}
	key := kind + "/" + meta.Name
	if prev, dup := s.files[key]; dup {
		return fmt.Errorf("%s declared twice (%s, %s)", key, prev, file)
	}
	s.files[key] = file
	s.objects[key] = obj
	return nil
}

// manifestFiles lists k8s/base/*.yaml and k8s/base/workers/*.yaml except
// the kustomizations, which are not Kubernetes objects.
func manifestFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{filepath.Join(baseDir, "*.yaml"), filepath.Join(workersDir, "*.yaml")} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "kustomization.yaml" })
	if len(files) == 0 {
		t.Fatal("no k8s/base/*.yaml manifests found")
	}
	return files
}

func load(t *testing.T) *set {
	t.Helper()
	s := newSet()
	for _, file := range manifestFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := documents(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for i, doc := range docs {
			obj, err := decode(doc)
			if err != nil {
				t.Fatalf("%s document %d: %v", file, i+1, err)
			}
			if err := s.add(file, obj); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

// workload is a pod template with the name of the object that owns it.
type workload struct {
	kind, name string
	pod        *corev1.PodTemplateSpec
}

func (w workload) String() string { return w.kind + "/" + w.name }

func (s *set) workloads() []workload {
	var out []workload
	for _, name := range sortedKeys(s.deployments) {
		out = append(out, workload{"Deployment", name, &s.deployments[name].Spec.Template})
	}
	for _, name := range sortedKeys(s.jobs) {
		out = append(out, workload{"Job", name, &s.jobs[name].Spec.Template})
	}
	for _, name := range sortedKeys(s.cronJobs) {
		out = append(out, workload{"CronJob", name, &s.cronJobs[name].Spec.JobTemplate.Spec.Template})
	}
	return out
}

// containers is a pod's init containers and containers: each runs a role
// with its own settings (wait-for-schema before api and the workers).
func containers(pod *corev1.PodTemplateSpec) []corev1.Container {
	return append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func selects(sel *metav1.LabelSelector, podLabels map[string]string) (bool, error) {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return false, errors.New("empty selector selects everything")
	}
	ls, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return ls.Matches(labels.Set(podLabels)), nil
}

// deploymentsSelectedBy names the Deployments whose pods a selector matches.
func (s *set) deploymentsSelectedBy(sel *metav1.LabelSelector) ([]string, error) {
	var names []string
	for _, name := range sortedKeys(s.deployments) {
		ok, err := selects(sel, s.deployments[name].Spec.Template.Labels)
		if err != nil {
			return nil, err
		}
		if ok {
			names = append(names, name)
		}
	}
	return names, nil
}

// portDeclared reports whether a probe/Service port (number or name) is a
// containerPort of one of the containers.
func portDeclared(port intstr.IntOrString, containers []corev1.Container) bool {
	for _, c := range containers {
		for _, p := range c.Ports {
			if port.Type == intstr.Int && p.ContainerPort == port.IntVal {
				return true
			}
			if port.Type == intstr.String && port.StrVal != "" && p.Name == port.StrVal {
				return true
			}
		}
	}
	return false
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value, true
		}
	}
	return "", false
}

// sensitive reports whether an environment variable carries a credential and so
// must only ever come from a Secret. Every *_KEY and *_KEYS counts:
// SENDGRID_WEBHOOK_PUBLIC_KEY is a public key, but it comes from the SendGrid
// account with the API key, and whoever can swap it can forge delivery events,
// so it is kept with them. ADMIN_EMAIL is half of the admin's sign-in,
// provisioned with ADMIN_PASSWORD. A lifetime (ACCESS_TOKEN_TTL) is not a
// credential, whatever it is the lifetime of.
func sensitive(name string) bool {
	switch {
	case name == "DATABASE_URL" || name == "REDIS_URL" || name == "TWILIO_ACCOUNT_SID" || name == "ADMIN_EMAIL":
		return true
	// PEM text of a private key, and of the client certificate that is
	// provisioned, and rotated, with it; their *_PATH settings are paths.
	case strings.HasSuffix(name, "_KEY_DATA") || strings.HasSuffix(name, "_CLIENT_CERT_DATA"):
		return true
	case strings.HasSuffix(name, "_TTL"):
		return false
	case strings.HasSuffix(name, "_KEY") || strings.HasSuffix(name, "_KEYS"):
		return true
	}
	for _, part := range []string{"PASSWORD", "TOKEN", "SECRET", "API_KEY", "CREDENTIAL"} {
		if strings.Contains(name, part) {
			return true
		}
	}
	return false
}

// check is one property of the shipped manifests; it returns every violation.
type check struct {
	name string
	run  func(*set) []error
}

var checks = []check{
	{"namespace", checkNamespace},
	{"deployment selectors", checkSelectors},
	{"probes", checkProbes},
	{"images", checkImages},
	{"security context", checkSecurity},
	{"resources", checkResources},
	{"worker queues", checkWorkerQueues},
	{"worker versions", checkWorkerVersions},
	{"autoscalers", checkHPAs},
	{"replicas", checkReplicas},
	{"services", checkServices},
	{"disruption budgets", checkPDBs},
	{"config and secret references", checkEnvRefs},
	{"no literal secrets", checkNoLiteralSecrets},
	{"ingress", checkIngress},
	{"prometheus annotations", checkScrapeAnnotations},
	{"graceful shutdown", checkGracePeriod},
	{"settings per role", checkSettings},
	{"example secret and config map keys", checkKeysUsed},
	{"provider callbacks", checkCallbacks},
	{"cron jobs", checkCronJobs},
	{"topology spread", checkSpread},
	{"production roles", checkProductionRoles},
	{"schema wait", checkSchemaWait},
	{"keda scaled objects", checkScaledObjects},
}

func runChecks(s *set) []error {
	var errs []error
	for _, c := range checks {
		for _, err := range c.run(s) {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errs
}

// metas lists every namespaced object's metadata under "Kind/name".
func (s *set) metas() map[string]metav1.ObjectMeta {
	out := map[string]metav1.ObjectMeta{}
	collect := func(kind string, m metav1.ObjectMeta) { out[kind+"/"+m.Name] = m }
	for _, o := range s.configMaps {
		collect("ConfigMap", o.ObjectMeta)
	}
	for _, o := range s.secrets {
		collect("Secret", o.ObjectMeta)
	}
	for _, o := range s.services {
		collect("Service", o.ObjectMeta)
	}
	for _, o := range s.deployments {
		collect("Deployment", o.ObjectMeta)
	}
	for _, o := range s.jobs {
		collect("Job", o.ObjectMeta)
	}
	for _, o := range s.cronJobs {
		collect("CronJob", o.ObjectMeta)
	}
	for _, o := range s.hpas {
		collect("HorizontalPodAutoscaler", o.ObjectMeta)
	}
	for _, o := range s.pdbs {
		collect("PodDisruptionBudget", o.ObjectMeta)
	}
	for _, o := range s.ingresses {
		collect("Ingress", o.ObjectMeta)
	}
	for _, o := range s.networkPolicies {
		collect("NetworkPolicy", o.ObjectMeta)
	}
	for _, o := range s.scaledObjects {
		collect("ScaledObject", o.ObjectMeta)
	}
	for _, o := range s.triggerAuthentications {
		collect("TriggerAuthentication", o.ObjectMeta)
	}
	for _, o := range s.serviceMonitors {
		collect("ServiceMonitor", o.ObjectMeta)
	}
	for _, o := range s.podMonitors {
		collect("PodMonitor", o.ObjectMeta)
	}
	for _, o := range s.prometheusRules {
		collect("PrometheusRule", o.ObjectMeta)
	}
	return out
}

func checkNamespace(s *set) []error {
	var errs []error
	if _, ok := s.namespaces[namespace]; !ok {
		errs = append(errs, fmt.Errorf("no Namespace %q", namespace))
	}
	metas := s.metas()
	for _, key := range sortedKeys(metas) {
		// Explicit, so `kubectl apply -f` of one file lands where -k puts it.
		if ns := metas[key].Namespace; ns != namespace {
			errs = append(errs, fmt.Errorf("%s (%s): namespace %q, want %q", key, s.files[key], ns, namespace))
		}
	}
	return errs
}

func checkSelectors(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.deployments) {
		d := s.deployments[name]
		ok, err := selects(d.Spec.Selector, d.Spec.Template.Labels)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("Deployment/%s: %v", name, err))
		case !ok:
			errs = append(errs, fmt.Errorf("Deployment/%s: selector %v does not match template labels %v",
				name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels))
		}
		// Two Deployments selecting each other's pods fight over them.
		others, err := s.deploymentsSelectedBy(d.Spec.Selector)
		if err == nil && len(others) > 1 {
			errs = append(errs, fmt.Errorf("Deployment/%s: selector also matches %v", name, others))
		}
	}
	return errs
}

func checkProbes(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.deployments) {
		containers := s.deployments[name].Spec.Template.Spec.Containers
		for _, c := range containers {
			for _, p := range []struct {
				kind, path string
				probe      *corev1.Probe
			}{{"readinessProbe", "/readyz", c.ReadinessProbe}, {"livenessProbe", "/healthz", c.LivenessProbe}} {
				where := fmt.Sprintf("Deployment/%s container %s %s", name, c.Name, p.kind)
				switch {
				case p.probe == nil:
					errs = append(errs, fmt.Errorf("%s: missing", where))
				case p.probe.HTTPGet == nil:
					errs = append(errs, fmt.Errorf("%s: not an httpGet probe", where))
				default:
					if p.probe.HTTPGet.Path != p.path {
						errs = append(errs, fmt.Errorf("%s: path %q, want %q", where, p.probe.HTTPGet.Path, p.path))
					}
					if !portDeclared(p.probe.HTTPGet.Port, containers) {
						errs = append(errs, fmt.Errorf("%s: port %s is not a declared containerPort", where, p.probe.HTTPGet.Port.String()))
					}
				}
			}
		}
	}
	return errs
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// splitImage splits repo:tag, or repo:tag@sha256:<digest> as an overlay's
// `images:` with newTag and digest renders it; ok is false for anything
// else (a ":" in a registry port would need more parsing; the contract is
// repo:tag, the tag being the release and the workers' version).
func splitImage(image string) (repo, tag, digest string, ok bool) {
	rest, digest, hasDigest := strings.Cut(image, "@")
	if hasDigest && !digestRE.MatchString(digest) {
		return "", "", "", false
	}
	repo, tag, ok = strings.Cut(rest, ":")
	return repo, tag, digest, ok
}

func checkImages(s *set) []error {
	var errs []error
	tags := map[string][]string{}
	for _, w := range s.workloads() {
		for _, c := range append(slices.Clone(w.pod.Spec.InitContainers), w.pod.Spec.Containers...) {
			repo, tag, digest, ok := splitImage(c.Image)
			switch {
			case !ok || repo != imageRepo:
				errs = append(errs, fmt.Errorf("%s container %s: image %q, want %s:<tag>[@sha256:<digest>]", w, c.Name, c.Image, imageRepo))
			case tag == "" || tag == "latest":
				errs = append(errs, fmt.Errorf("%s container %s: image %q must pin a release tag, not %q", w, c.Name, c.Image, tag))
			default:
				// A digest too: one tag pushed twice is two releases.
				tags[tag+"@"+digest] = append(tags[tag+"@"+digest], w.String())
			}
		}
	}
	// One release is one tag; a mix means a half-updated manifest set.
	if len(tags) > 1 {
		errs = append(errs, fmt.Errorf("several image tags in one release: %v", tags))
	}
	return errs
}

func checkSecurity(s *set) []error {
	var errs []error
	for _, w := range s.workloads() {
		spec := w.pod.Spec
		podSC := spec.SecurityContext
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			errs = append(errs, fmt.Errorf("%s: automountServiceAccountToken must be false (the app never calls the Kubernetes API)", w))
		}
		for _, c := range containers(w.pod) {
			where := fmt.Sprintf("%s container %s", w, c.Name)
			sc := c.SecurityContext
			nonRoot := (sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) ||
				(podSC != nil && podSC.RunAsNonRoot != nil && *podSC.RunAsNonRoot)
			if !nonRoot {
				errs = append(errs, fmt.Errorf("%s: runAsNonRoot is not set", where))
			}
			seccomp := (sc != nil && sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault) ||
				(podSC != nil && podSC.SeccompProfile != nil && podSC.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault)
			if !seccomp {
				errs = append(errs, fmt.Errorf("%s: seccompProfile RuntimeDefault is not set", where))
			}
			if sc == nil {
				errs = append(errs, fmt.Errorf("%s: no securityContext", where))
				continue
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				errs = append(errs, fmt.Errorf("%s: readOnlyRootFilesystem is not true", where))
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				errs = append(errs, fmt.Errorf("%s: allowPrivilegeEscalation is not false", where))
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
				errs = append(errs, fmt.Errorf("%s: capabilities must drop ALL and add none", where))
			}
			if sc.Privileged != nil && *sc.Privileged {
				errs = append(errs, fmt.Errorf("%s: privileged", where))
			}
		}
	}
	return errs
}

func checkResources(s *set) []error {
	var errs []error
	for _, w := range s.workloads() {
		for _, c := range containers(w.pod) {
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, hasReq := c.Resources.Requests[res]
				lim, hasLim := c.Resources.Limits[res]
				where := fmt.Sprintf("%s container %s %s", w, c.Name, res)
				switch {
				case !hasReq || req.IsZero():
					errs = append(errs, fmt.Errorf("%s: no request", where))
				case !hasLim || lim.IsZero():
					errs = append(errs, fmt.Errorf("%s: no limit", where))
				case req.Cmp(lim) > 0:
					errs = append(errs, fmt.Errorf("%s: request %s above limit %s", where, req.String(), lim.String()))
				}
			}
		}
	}
	return errs
}

// queueOf returns the --queue value of a `worker` command line, and how many
// times --queue appears.
func queueOf(args []string) (queue string, count int) {
	for i, a := range args {
		switch {
		case a == "--queue" || a == "-queue":
			count++
			if i+1 < len(args) {
				queue = args[i+1]
			}
		case strings.HasPrefix(a, "--queue=") || strings.HasPrefix(a, "-queue="):
			count++
			_, queue, _ = strings.Cut(a, "=")
		}
	}
	return queue, count
}

// versionSuffix is the suffix of a worker version's Deployment and
// autoscaler names, as worker-version/ sets it: a Deployment's name should
// be a DNS label, without dots.
func versionSuffix(version string) string { return "-v" + strings.ReplaceAll(version, ".", "-") }

// isWorker reports whether a Deployment runs a Temporal worker.
func isWorker(d *appsv1.Deployment) bool {
	for _, c := range d.Spec.Template.Spec.Containers {
		if args := append(slices.Clone(c.Command), c.Args...); len(args) > 0 && args[0] == "worker" {
			return true
		}
	}
	return false
}

// checkWorkerQueues: every queue is polled by exactly one Deployment per
// worker version, named worker-<queue>, or worker-<queue>-v<version> as
// worker-version/ renders a version beside the first.
func checkWorkerQueues(s *set) []error {
	var errs []error
	seen := map[string]map[string][]string{} // queue, version: Deployments
	for _, name := range sortedKeys(s.deployments) {
		d := s.deployments[name]
		version := d.Spec.Template.Labels[versionLabel] // checkWorkerVersions requires it
		for _, c := range d.Spec.Template.Spec.Containers {
			args := append(slices.Clone(c.Command), c.Args...)
			if len(args) == 0 || args[0] != "worker" {
				continue
			}
			queue, n := queueOf(args)
			if n != 1 {
				errs = append(errs, fmt.Errorf("Deployment/%s: %d --queue flags in %v, want 1", name, n, args))
				continue
			}
			if env, ok := envValue(c, "WORKER_QUEUE"); ok && env != queue {
				errs = append(errs, fmt.Errorf("Deployment/%s: WORKER_QUEUE=%q contradicts --queue %s", name, env, queue))
			}
			// The name is what operators scale and read in dashboards.
			if name != "worker-"+queue && name != "worker-"+queue+versionSuffix(version) {
				errs = append(errs, fmt.Errorf("Deployment/%s polls queue %q; name it worker-%s (or worker-%s%s, as worker-version/ does)",
					name, queue, queue, queue, versionSuffix(version)))
			}
			if seen[queue] == nil {
				seen[queue] = map[string][]string{}
			}
			seen[queue][version] = append(seen[queue][version], name)
		}
	}
	for _, q := range workerQueues {
		if len(seen[q]) == 0 {
			errs = append(errs, fmt.Errorf("queue %q is polled by 0 Deployments, want exactly 1 per version", q))
		}
		for _, v := range sortedKeys(seen[q]) {
			if names := seen[q][v]; len(names) != 1 {
				errs = append(errs, fmt.Errorf("queue %q is polled by %d Deployments %v of version %q, want exactly 1", q, len(names), names, v))
			}
		}
	}
	for q, names := range seen {
		if !slices.Contains(workerQueues, q) {
			errs = append(errs, fmt.Errorf("Deployments %v poll unknown queue %q", names, q))
		}
	}
	return errs
}

func checkHPAs(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.hpas) {
		h := s.hpas[name]
		ref := h.Spec.ScaleTargetRef
		d, ok := s.deployments[ref.Name]
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || !ok {
			errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler/%s: target %s %s/%s is not a shipped Deployment", name, ref.APIVersion, ref.Kind, ref.Name))
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < s.minReplicas {
			errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler/%s: minReplicas must be at least %d to survive losing a node", name, s.minReplicas))
		} else if h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler/%s: maxReplicas %d below minReplicas %d", name, h.Spec.MaxReplicas, *h.Spec.MinReplicas))
		}
		// kubectl apply would reset the autoscaled count on every deploy.
		if d.Spec.Replicas != nil {
			errs = append(errs, fmt.Errorf("Deployment/%s: sets replicas although HorizontalPodAutoscaler/%s owns the count", ref.Name, name))
		}
		for _, m := range h.Spec.Metrics {
			if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil {
				continue
			}
			// Utilization is a percentage of the request: without one the HPA never acts.
			for _, c := range d.Spec.Template.Spec.Containers {
				if _, ok := c.Resources.Requests[m.Resource.Name]; !ok {
					errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler/%s scales on %s but Deployment/%s container %s has no %s request",
						name, m.Resource.Name, ref.Name, c.Name, m.Resource.Name))
				}
			}
		}
		if len(h.Spec.Metrics) == 0 {
			errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler/%s: no metrics", name))
		}
	}
	want := []string{"api"}
	for _, name := range sortedKeys(s.deployments) {
		// One per version: two versions' pods share neither load nor count.
		if isWorker(s.deployments[name]) {
			want = append(want, name)
		}
	}
	for _, want := range want {
		var autoscalers []string
		for _, name := range sortedKeys(s.hpas) {
			if s.hpas[name].Spec.ScaleTargetRef.Name == want {
				autoscalers = append(autoscalers, "HorizontalPodAutoscaler/"+name)
			}
		}
		for _, name := range sortedKeys(s.scaledObjects) {
			if s.scaledObjects[name].Spec.ScaleTargetRef.Name == want {
				autoscalers = append(autoscalers, "ScaledObject/"+name)
			}
		}
		switch {
		case len(autoscalers) == 0:
			errs = append(errs, fmt.Errorf("Deployment/%s has no HorizontalPodAutoscaler (nor KEDA ScaledObject)", want))
		case len(autoscalers) > 1:
			// KEDA makes an HPA of its own: two autoscalers on one
			// Deployment fight over its replicas.
			errs = append(errs, fmt.Errorf("Deployment/%s has %d autoscalers %v, want 1", want, len(autoscalers), autoscalers))
		}
	}
	return errs
}

// checkWorkerVersions: a worker Deployment is one version of its Worker
// Deployment, and says which in one label, app.kubernetes.io/version, that
// everything else follows: WORKER_BUILD_ID (its build ID) reads it from the
// pod, the image is the release of that tag, and the selector pins it, so
// two versions' Deployments never share pods and an apply can never turn one
// version's Deployment into another's (a selector is immutable). Exactly the
// per-version objects, the worker Deployments and their autoscalers, carry
// the label: the README's rollout applies k8s/ without them
// (-l '!app.kubernetes.io/version') and deletes a drained version by it.
func checkWorkerVersions(s *set) []error {
	var errs []error
	perVersion := map[string]string{} // "Kind/name": version
	for _, name := range sortedKeys(s.deployments) {
		d := s.deployments[name]
		if !isWorker(d) {
			continue
		}
		version := d.Spec.Template.Labels[versionLabel]
		if version == "" {
			errs = append(errs, fmt.Errorf("Deployment/%s: no %s label in its pod template: it is the worker's version, its build ID", name, versionLabel))
			continue
		}
		perVersion["Deployment/"+name] = version
		if d.Spec.Selector == nil || d.Spec.Selector.MatchLabels[versionLabel] != version {
			errs = append(errs, fmt.Errorf("Deployment/%s: its selector does not pin %s=%s, so another version's pods would be its own", name, versionLabel, version))
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if _, tag, _, _ := splitImage(c.Image); tag != version {
				errs = append(errs, fmt.Errorf("Deployment/%s container %s: image tag %q is not its version %q", name, c.Name, tag, version))
			}
			from := ""
			for _, e := range c.Env {
				if e.Name == "WORKER_BUILD_ID" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
					from = e.ValueFrom.FieldRef.FieldPath
				}
			}
			if from != buildIDField {
				errs = append(errs, fmt.Errorf("Deployment/%s container %s: WORKER_BUILD_ID must come from the pod's version label (fieldRef %s), so the build ID is the version", name, c.Name, buildIDField))
			}
		}
	}
	for _, name := range sortedKeys(s.hpas) {
		if v, ok := perVersion["Deployment/"+s.hpas[name].Spec.ScaleTargetRef.Name]; ok {
			perVersion["HorizontalPodAutoscaler/"+name] = v
		}
	}
	// KEDA's replacement of a worker version's HPA is as much that version's.
	for _, name := range sortedKeys(s.scaledObjects) {
		if v, ok := perVersion["Deployment/"+s.scaledObjects[name].Spec.ScaleTargetRef.Name]; ok {
			perVersion["ScaledObject/"+name] = v
		}
	}
	for _, key := range sortedKeys(s.objects) {
		got := s.objects[key].(metav1.Object).GetLabels()[versionLabel]
		want, versioned := perVersion[key]
		switch {
		case versioned && got != want:
			errs = append(errs, fmt.Errorf("%s: label %s=%q, want its version %q (a drained version is deleted by it)", key, versionLabel, got, want))
		case !versioned && got != "":
			errs = append(errs, fmt.Errorf("%s: labelled %s, but only worker Deployments and their autoscalers are per version; "+
				"`kubectl apply -k k8s/overlays/production/ -l '!%s'` would skip it", key, versionLabel, versionLabel))
		}
	}
	return errs
}

func workerDeployments() []string {
	var out []string
	for _, q := range workerQueues {
		out = append(out, "worker-"+q)
	}
	return out
}

func checkReplicas(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.deployments) {
		autoscaled := false
		for _, h := range s.hpas {
			autoscaled = autoscaled || h.Spec.ScaleTargetRef.Name == name
		}
		for _, so := range s.scaledObjects {
			autoscaled = autoscaled || so.Spec.ScaleTargetRef.Name == name
		}
		if r := s.deployments[name].Spec.Replicas; !autoscaled && (r == nil || *r < s.minReplicas) {
			errs = append(errs, fmt.Errorf("Deployment/%s: no autoscaler and fewer than %d replicas", name, s.minReplicas))
		}
	}
	return errs
}

func checkServices(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.services) {
		svc := s.services[name]
		sel := &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}
		targets, err := s.deploymentsSelectedBy(sel)
		if err != nil {
			errs = append(errs, fmt.Errorf("Service/%s: %v", name, err))
			continue
		}
		if len(targets) != 1 {
			errs = append(errs, fmt.Errorf("Service/%s: selector %v matches Deployments %v, want exactly one", name, svc.Spec.Selector, targets))
			continue
		}
		containers := s.deployments[targets[0]].Spec.Template.Spec.Containers
		for _, p := range svc.Spec.Ports {
			target := p.TargetPort
			if target.Type == intstr.Int && target.IntVal == 0 {
				target = intstr.FromInt32(p.Port)
			}
			if !portDeclared(target, containers) {
				errs = append(errs, fmt.Errorf("Service/%s port %d: targetPort %s is not a containerPort of Deployment/%s", name, p.Port, target.String(), targets[0]))
			}
		}
	}
	for _, want := range []string{"api", "frontend"} {
		if _, ok := s.services[want]; !ok {
			errs = append(errs, fmt.Errorf("no Service %q", want))
		}
	}
	return errs
}

func checkPDBs(s *set) []error {
	var errs []error
	covered := map[string][]string{}
	for _, name := range sortedKeys(s.pdbs) {
		targets, err := s.deploymentsSelectedBy(s.pdbs[name].Spec.Selector)
		if err != nil {
			errs = append(errs, fmt.Errorf("PodDisruptionBudget/%s: %v", name, err))
			continue
		}
		if len(targets) == 0 {
			errs = append(errs, fmt.Errorf("PodDisruptionBudget/%s selects no Deployment", name))
		}
		for _, d := range targets {
			covered[d] = append(covered[d], name)
		}
	}
	for _, d := range sortedKeys(s.deployments) {
		// Overlapping budgets make the eviction API refuse every eviction.
		if len(covered[d]) != 1 {
			errs = append(errs, fmt.Errorf("Deployment/%s is covered by %d PodDisruptionBudgets %v, want 1", d, len(covered[d]), covered[d]))
		}
	}
	return errs
}

func checkEnvRefs(s *set) []error {
	var errs []error
	for _, w := range s.workloads() {
		for _, c := range containers(w.pod) {
			where := fmt.Sprintf("%s container %s", w, c.Name)
			for _, ef := range c.EnvFrom {
				if ref := ef.ConfigMapRef; ref != nil {
					if _, ok := s.configMaps[ref.Name]; !ok && (ref.Optional == nil || !*ref.Optional) {
						errs = append(errs, fmt.Errorf("%s: envFrom ConfigMap %q is not shipped", where, ref.Name))
					}
				}
				if ref := ef.SecretRef; ref != nil {
					if _, ok := s.secrets[ref.Name]; !ok && (ref.Optional == nil || !*ref.Optional) {
						errs = append(errs, fmt.Errorf("%s: envFrom Secret %q is not shipped", where, ref.Name))
					}
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil && (ref.Optional == nil || !*ref.Optional) {
					cm, ok := s.configMaps[ref.Name]
					if _, has := cm.Data[ref.Key]; !ok || !has {
						errs = append(errs, fmt.Errorf("%s: env %s needs key %q of ConfigMap %q, which is not shipped", where, e.Name, ref.Key, ref.Name))
					}
				}
				if ref := e.ValueFrom.SecretKeyRef; ref != nil && (ref.Optional == nil || !*ref.Optional) {
					if !secretHasKey(s.secrets[ref.Name], ref.Key) {
						errs = append(errs, fmt.Errorf("%s: env %s needs key %q of Secret %q, which the example Secret does not document", where, e.Name, ref.Key, ref.Name))
					}
				}
			}
		}
	}
	return errs
}

func secretHasKey(sec *corev1.Secret, key string) bool {
	if sec == nil {
		return false
	}
	_, inString := sec.StringData[key]
	_, inData := sec.Data[key]
	return inString || inData
}

func checkNoLiteralSecrets(s *set) []error {
	var errs []error
	for _, w := range s.workloads() {
		for _, c := range containers(w.pod) {
			for _, e := range c.Env {
				if sensitive(e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
					errs = append(errs, fmt.Errorf("%s container %s: %s must come from a secretKeyRef, not a literal or ConfigMap", w, c.Name, e.Name))
				}
			}
		}
	}
	for _, name := range sortedKeys(s.configMaps) {
		for key := range s.configMaps[name].Data {
			if sensitive(key) {
				errs = append(errs, fmt.Errorf("ConfigMap/%s: %s is a credential; it belongs in the Secret", name, key))
			}
		}
	}
	for _, name := range sortedKeys(s.secrets) {
		sec := s.secrets[name]
		if file := s.files["Secret/"+name]; file != exampleSecretFile {
			errs = append(errs, fmt.Errorf("Secret/%s is shipped in %s; only %s may hold a Secret, with placeholders", name, file, exampleSecretFile))
		}
		if len(sec.Data) > 0 {
			errs = append(errs, fmt.Errorf("Secret/%s: use stringData with visible placeholders, not base64 data", name))
		}
		for key, v := range sec.StringData {
			if !strings.Contains(v, "CHANGE-ME") {
				errs = append(errs, fmt.Errorf("Secret/%s: %s holds %q; an example Secret carries only CHANGE-ME placeholders", name, key, v))
			}
		}
	}
	return errs
}

func checkIngress(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.ingresses) {
		for _, rule := range s.ingresses[name].Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				if b == nil {
					errs = append(errs, fmt.Errorf("Ingress/%s %s%s: no service backend", name, rule.Host, p.Path))
					continue
				}
				svc, ok := s.services[b.Name]
				if !ok {
					errs = append(errs, fmt.Errorf("Ingress/%s %s%s: Service %q is not shipped", name, rule.Host, p.Path, b.Name))
					continue
				}
				found := false
				for _, sp := range svc.Spec.Ports {
					found = found || (b.Port.Name != "" && sp.Name == b.Port.Name) || (b.Port.Number != 0 && sp.Port == b.Port.Number)
				}
				if !found {
					errs = append(errs, fmt.Errorf("Ingress/%s %s%s: Service %s has no port %+v", name, rule.Host, p.Path, b.Name, b.Port))
				}
			}
		}
	}
	return errs
}

func checkScrapeAnnotations(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.deployments) {
		tpl := s.deployments[name].Spec.Template
		a := tpl.Annotations
		if a["prometheus.io/scrape"] != "true" {
			errs = append(errs, fmt.Errorf("Deployment/%s: pods not annotated prometheus.io/scrape=true", name))
			continue
		}
		port, err := strconv.Atoi(a["prometheus.io/port"])
		if err != nil || !portDeclared(intstr.FromInt(port), tpl.Spec.Containers) {
			errs = append(errs, fmt.Errorf("Deployment/%s: prometheus.io/port %q is not a containerPort", name, a["prometheus.io/port"]))
		}
		if a["prometheus.io/path"] != "/metrics" {
			errs = append(errs, fmt.Errorf("Deployment/%s: prometheus.io/path %q, want /metrics", name, a["prometheus.io/path"]))
		}
	}
	return errs
}

// checkGracePeriod: SIGKILL must not land before the app's own drain ends.
// A role first stops its HTTP server (within SHUTDOWN_TIMEOUT); a worker then
// drains its Temporal worker for WorkerStopTimeout.
func checkGracePeriod(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.deployments) {
		spec := s.deployments[name].Spec.Template.Spec
		grace := 30 * time.Second // Kubernetes' default
		if spec.TerminationGracePeriodSeconds != nil {
			grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
		}
		for _, c := range spec.Containers {
			need := defaultShutdown
			if v, ok := envValue(c, "SHUTDOWN_TIMEOUT"); ok {
				d, err := time.ParseDuration(v)
				if err != nil {
					errs = append(errs, fmt.Errorf("Deployment/%s: SHUTDOWN_TIMEOUT=%q: %v", name, v, err))
					continue
				}
				need = d
			}
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
				need += time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			}
			if strings.HasPrefix(name, "worker-") {
				stop, err := workerStopTimeout()
				if err != nil {
					errs = append(errs, err)
					continue
				}
				need += stop
				if grace < 60*time.Second {
					errs = append(errs, fmt.Errorf("Deployment/%s: workers need terminationGracePeriodSeconds >= 60 to drain activities, got %s", name, grace))
				}
			}
			if need >= grace {
				errs = append(errs, fmt.Errorf("Deployment/%s: shutdown takes up to %s (preStop + SHUTDOWN_TIMEOUT + worker drain), which does not fit in terminationGracePeriodSeconds %s",
					name, need, grace))
			}
		}
	}
	return errs
}

// envSource is where a workload's variable comes from: "literal",
// "configmap", "secret", or "pod" (the downward API: one of the pod's own
// fields, as WORKER_BUILD_ID its version label).
func envSource(e corev1.EnvVar) string {
	switch {
	case e.ValueFrom == nil:
		return "literal"
	case e.ValueFrom.SecretKeyRef != nil:
		return "secret"
	case e.ValueFrom.ConfigMapKeyRef != nil:
		return "configmap"
	case e.ValueFrom.FieldRef != nil:
		return "pod"
	}
	return "other"
}

// checkSettings: each workload gets exactly the settings its role reads
// (settingsByRole, which follows internal/app): a missing one silently falls
// back to the binary's local-stack default (loopback, sandbox credentials); an
// extra one is configuration or a credential the pod does not need.
// Credentials come from the Secret, the rest from the ConfigMap or a literal.
func checkSettings(s *set) []error {
	var errs []error
	for _, w := range s.workloads() {
		for _, c := range containers(w.pod) {
			role := roleOf(append(slices.Clone(c.Command), c.Args...))
			want, known := settingsByRole[role]
			if !known || !slices.Contains(productionRoles, role) {
				errs = append(errs, fmt.Errorf("%s container %s: role %q is not a production role with known settings", w, c.Name, role))
				continue
			}
			for _, ef := range c.EnvFrom {
				if ef.SecretRef != nil {
					errs = append(errs, fmt.Errorf("%s: envFrom a whole Secret hands over every credential; use secretKeyRef", w))
				}
				if ef.ConfigMapRef != nil {
					errs = append(errs, fmt.Errorf("%s: envFrom a whole ConfigMap hands over settings role %s does not read; use configMapKeyRef", w, role))
				}
			}
			got := map[string]string{}
			var secrets []string
			for _, e := range c.Env {
				if _, dup := got[e.Name]; dup {
					errs = append(errs, fmt.Errorf("%s: %s set twice", w, e.Name))
				}
				got[e.Name] = envSource(e)
				if got[e.Name] == "other" {
					errs = append(errs, fmt.Errorf("%s: %s comes from neither a literal, the ConfigMap, the Secret nor a field of the pod", w, e.Name))
				}
				if !slices.Contains(want, e.Name) {
					errs = append(errs, fmt.Errorf("%s: sets %s, which role %s does not read", w, e.Name, role))
				}
				if got[e.Name] == "secret" {
					secrets = append(secrets, e.Name)
				}
				if got[e.Name] != "secret" && sensitive(e.Name) {
					continue // checkNoLiteralSecrets reports it
				}
				if got[e.Name] == "secret" && !sensitive(e.Name) {
					errs = append(errs, fmt.Errorf("%s: %s is not a credential; it belongs in the ConfigMap", w, e.Name))
				}
			}
			for _, name := range want {
				if _, ok := got[name]; !ok {
					errs = append(errs, fmt.Errorf("%s: role %s reads %s, but it is not set, so the binary's local-stack default applies", w, role, name))
				}
			}
			var wantSecrets []string
			for _, name := range want {
				if sensitive(name) {
					wantSecrets = append(wantSecrets, name)
				}
			}
			slices.Sort(secrets)
			slices.Sort(wantSecrets)
			if !slices.Equal(secrets, wantSecrets) {
				errs = append(errs, fmt.Errorf("%s: reads secrets %v, want %v", w, secrets, wantSecrets))
			}
		}
	}
	return errs
}

// checkKeysUsed: the example Secret documents exactly the keys the workloads
// read, and every ConfigMap key is read by some workload (no stale settings,
// no development settings left behind).
func checkKeysUsed(s *set) []error {
	var errs []error
	secretKeys, cmKeys := map[string]bool{}, map[string]bool{}
	for _, w := range s.workloads() {
		for _, c := range containers(w.pod) {
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if ref := e.ValueFrom.SecretKeyRef; ref != nil && ref.Name == secretName {
					secretKeys[ref.Key] = true
				}
				if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil && ref.Name == configMapName {
					cmKeys[ref.Key] = true
				}
			}
		}
	}
	if sec, ok := s.secrets[secretName]; ok {
		for _, key := range sortedKeys(sec.StringData) {
			if !secretKeys[key] {
				errs = append(errs, fmt.Errorf("Secret/%s (%s): documents %s, which no workload reads", secretName, exampleSecretFile, key))
			}
		}
		for _, key := range sortedKeys(secretKeys) {
			if !secretHasKey(sec, key) {
				errs = append(errs, fmt.Errorf("Secret/%s (%s): workloads read %s, which it does not document", secretName, exampleSecretFile, key))
			}
		}
	} else {
		errs = append(errs, fmt.Errorf("no example Secret %q in %s", secretName, exampleSecretFile))
	}
	if cm, ok := s.configMaps[configMapName]; ok {
		for _, key := range sortedKeys(cm.Data) {
			if !cmKeys[key] {
				errs = append(errs, fmt.Errorf("ConfigMap/%s: %s is read by no workload", configMapName, key))
			}
		}
	}
	return errs
}

func checkSpread(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.deployments) {
		spec := s.deployments[name].Spec.Template
		spread := 0
		for _, tsc := range spec.Spec.TopologySpreadConstraints {
			ok, err := selects(tsc.LabelSelector, spec.Labels)
			if err != nil || !ok {
				errs = append(errs, fmt.Errorf("Deployment/%s: topologySpreadConstraint on %s does not select its own pods", name, tsc.TopologyKey))
				continue
			}
			spread++
		}
		if aff := spec.Spec.Affinity; aff != nil && aff.PodAntiAffinity != nil {
			spread++
		}
		if spread == 0 {
			errs = append(errs, fmt.Errorf("Deployment/%s: replicas may all land on one node (no topology spread or anti-affinity)", name))
		}
	}
	return errs
}

// checkProductionRoles: the manifests run the production roles only, and
// point them at real services, never at the sandbox.
func checkProductionRoles(s *set) []error {
	var errs []error
	migrates := 0
	for _, w := range s.workloads() {
		for _, c := range containers(w.pod) {
			args := append(slices.Clone(c.Command), c.Args...)
			if len(args) == 0 {
				errs = append(errs, fmt.Errorf("%s container %s: no role subcommand", w, c.Name))
				continue
			}
			switch args[0] {
			case "api", "worker", "frontend", "wait-for-schema":
			case "migrate":
				migrates++
				if roleOf(args) == "migrate --seed" {
					errs = append(errs, fmt.Errorf("%s: migrate --seed loads the demo catalogue and customer; development only", w))
				}
			case "inventory-rebuild":
				// The check only reads; the rebuild rewrites stock rows, which
				// a person decides on after reading the drift (README.md).
				if !slices.Contains(args, "--check") && !slices.Contains(args, "--check=true") {
					errs = append(errs, fmt.Errorf("%s: inventory-rebuild without --check rewrites stock rows; run it by hand, not from a manifest", w))
				}
			default:
				errs = append(errs, fmt.Errorf("%s container %s: role %q does not belong in production manifests", w, c.Name, args[0]))
			}
			for _, e := range c.Env {
				if strings.HasPrefix(e.Name, "SANDBOX_") {
					errs = append(errs, fmt.Errorf("%s: %s is a sandbox setting; production has no sandbox", w, e.Name))
				}
				// Anything else lets the api start on the public development
				// signing key, and migrate on the demo admin account.
				if e.Name == "ENVIRONMENT" {
					v := e.Value
					if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
						ref := e.ValueFrom.ConfigMapKeyRef
						if cm, ok := s.configMaps[ref.Name]; ok {
							v = cm.Data[ref.Key]
						}
					}
					if v != s.environment {
						errs = append(errs, fmt.Errorf("%s: ENVIRONMENT=%q, want %q", w, v, s.environment))
					}
				}
			}
		}
	}
	if migrates != 1 || len(s.jobs) == 0 {
		errs = append(errs, fmt.Errorf("want exactly one Job running `orderflow migrate`, found %d", migrates))
	}
	cm, ok := s.configMaps[configMapName]
	if !ok {
		return append(errs, fmt.Errorf("no ConfigMap %q", configMapName))
	}
	// The binary's defaults (and an empty value) point at the local
	// sandbox: production names every provider's real URL.
	for _, key := range []string{"PAYMENTS_URL", "SENDGRID_BASE_URL", "TWILIO_BASE_URL", "PUSH_BASE_URL", "PUBLIC_API_URL"} {
		if v := cm.Data[key]; !strings.HasPrefix(v, "https://") {
			errs = append(errs, fmt.Errorf("ConfigMap/%s: %s=%q, want an https:// URL of the real service", configMapName, key, v))
		}
	}
	for key, v := range cm.Data {
		if strings.Contains(v, "127.0.0.1") || strings.Contains(v, "localhost") || strings.Contains(v, ":4010") {
			errs = append(errs, fmt.Errorf("ConfigMap/%s: %s=%q points at a local or sandbox address", configMapName, key, v))
		}
		if strings.HasPrefix(key, "SANDBOX_") {
			errs = append(errs, fmt.Errorf("ConfigMap/%s: %s is a sandbox setting; production has no sandbox", configMapName, key))
		}
	}
	return errs
}

// webhookPaths are the api's provider callback paths (api/webhooks.go).
var webhookPaths = sync.OnceValues(func() ([]string, error) {
	const file = "../api/webhooks.go"
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var paths []string
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				if i >= len(vs.Values) || !strings.HasSuffix(name.Name, "WebhookPath") {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					p, _ := strconv.Unquote(lit.Value)
					paths = append(paths, p)
				}
			}
		}
		return true
	})
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no *WebhookPath constants; update webhookPaths in k8s/manifests_test.go", file)
	}
	return paths, nil
})

// ingressBackend is the Service an Ingress sends host+path to: the longest
// matching Prefix (by path element) or an Exact match, as the Ingress spec says.
func (s *set) ingressBackend(host, path string) string {
	best, bestLen := "", -1
	for _, ing := range s.ingresses {
		for _, rule := range ing.Spec.Rules {
			if rule.Host != host || rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				if p.Backend.Service == nil {
					continue
				}
				prefix := strings.TrimRight(p.Path, "/")
				exact := p.PathType != nil && *p.PathType == networkingv1.PathTypeExact
				match := (exact && path == p.Path) ||
					(!exact && (path == prefix || strings.HasPrefix(path, prefix+"/")))
				if match && len(p.Path) > bestLen {
					best, bestLen = p.Backend.Service.Name, len(p.Path)
				}
			}
		}
	}
	return best
}

// checkCallbacks: PUBLIC_API_URL, where the providers post their signed
// callbacks, is served by an Ingress that routes the webhook paths to the api.
func checkCallbacks(s *set) []error {
	cm, ok := s.configMaps[configMapName]
	if !ok {
		return nil // checkProductionRoles reports it
	}
	u, err := url.Parse(cm.Data["PUBLIC_API_URL"])
	if err != nil || u.Host == "" {
		return []error{fmt.Errorf("ConfigMap/%s: PUBLIC_API_URL=%q is not an absolute URL", configMapName, cm.Data["PUBLIC_API_URL"])}
	}
	paths, err := webhookPaths()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, p := range paths {
		full := strings.TrimRight(u.Path, "/") + p
		switch got := s.ingressBackend(u.Hostname(), full); got {
		case "api":
		case "":
			errs = append(errs, fmt.Errorf("no Ingress rule serves %s%s (PUBLIC_API_URL + callback path); providers could not reach the api", u.Host, full))
		default:
			errs = append(errs, fmt.Errorf("the Ingress routes %s%s to Service %q, want api", u.Host, full, got))
		}
	}
	return errs
}

// checkCronJobs: a scheduled run never overlaps the previous one and leaves
// its failures (the report) behind to read.
func checkCronJobs(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.cronJobs) {
		cj := s.cronJobs[name]
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			errs = append(errs, fmt.Errorf("CronJob/%s: concurrencyPolicy %q, want Forbid", name, cj.Spec.ConcurrencyPolicy))
		}
		if cj.Spec.FailedJobsHistoryLimit == nil || *cj.Spec.FailedJobsHistoryLimit < 1 {
			errs = append(errs, fmt.Errorf("CronJob/%s: failedJobsHistoryLimit must keep failed runs to read", name))
		}
		if cj.Spec.TimeZone == nil {
			errs = append(errs, fmt.Errorf("CronJob/%s: no timeZone; the schedule would follow the controller's", name))
		}
		if cj.Spec.JobTemplate.Spec.TTLSecondsAfterFinished != nil {
			errs = append(errs, fmt.Errorf("CronJob/%s: ttlSecondsAfterFinished deletes failed runs before anyone reads them; use the history limits", name))
		}
	}
	return errs
}

func TestManifestsDecodeStrictly(t *testing.T) {
	s := load(t)
	for _, kind := range []string{"Namespace", "ConfigMap", "Secret", "Service", "Deployment", "Job", "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"} {
		found := false
		for key := range s.files {
			found = found || strings.HasPrefix(key, kind+"/")
		}
		if !found {
			t.Errorf("no %s shipped", kind)
		}
	}
	for _, name := range append([]string{"api", "frontend"}, workerDeployments()...) {
		if _, ok := s.deployments[name]; !ok {
			t.Errorf("no Deployment %q", name)
		}
	}
}

func TestManifestsBehave(t *testing.T) {
	for _, err := range runChecks(load(t)) {
		t.Error(err)
	}
}

// TestDecodeRejects shows the decoder is strict: each document would be
// silently mangled or refused by a cluster.
func TestDecodeRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replica: 2
`,
		"field at the wrong level": `apiVersion: v1
kind: Service
metadata: {name: x}
selector: {app: x}
`,
		"duplicate key": `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data:
  A: "1"
  A: "2"
`,
		"unknown kind":       "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
		"old API version":    "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n",
		"wrong type":         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
		"invalid quantity":   "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: c, resources: {limits: {cpu: lots}}}]}}}\n",
		"typo in probe port": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: c, readinessProbe: {httpGet: {path: /, prot: 80}}}]}}}\n",
	} {
		if _, err := decode([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// breakage is one way to break a set of manifests, and what a check must
// then report.
type breakage struct {
	name   string
	breaks func(*set)
	want   string
}

// requireCaught breaks a fresh set from fresh in each way of cases and
// requires some check to report it.
func requireCaught(t *testing.T, cases []breakage, fresh func(*testing.T) *set) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fresh(t)
			tc.breaks(s)
			errs := runChecks(s)
			for _, err := range errs {
				if strings.Contains(err.Error(), tc.want) {
					return
				}
			}
			t.Errorf("no check reported %q; got %v", tc.want, errs)
		})
	}
}

// TestChecksCatch breaks a freshly loaded copy of the manifests in one way each
// and requires the checks to report it, so a check that cannot fail fails here.
func TestChecksCatch(t *testing.T) {
	ptr := func(v bool) *bool { return &v }
	cases := []breakage{
		{"selector does not match labels", func(s *set) {
			s.deployments["api"].Spec.Template.Labels["app.kubernetes.io/component"] = "apí"
		}, "does not match template labels"},
		{"missing readiness probe", func(s *set) {
			s.deployments["worker-orders"].Spec.Template.Spec.Containers[0].ReadinessProbe = nil
		}, "readinessProbe: missing"},
		{"liveness probe on an undeclared port", func(s *set) {
			s.deployments["frontend"].Spec.Template.Spec.Containers[0].LivenessProbe.HTTPGet.Port = intstr.FromInt(8081)
		}, "not a declared containerPort"},
		{"liveness probe checks dependencies", func(s *set) {
			s.deployments["api"].Spec.Template.Spec.Containers[0].LivenessProbe.HTTPGet.Path = "/readyz"
		}, `want "/healthz"`},
		{"latest tag", func(s *set) {
			s.deployments["api"].Spec.Template.Spec.Containers[0].Image = imageRepo + ":latest"
		}, "must pin a release tag"},
		{"another image", func(s *set) {
			s.jobs["migrate"].Spec.Template.Spec.Containers[0].Image = "postgres:16"
		}, "want " + imageRepo},
		{"mixed tags", func(s *set) {
			s.deployments["frontend"].Spec.Template.Spec.Containers[0].Image = imageRepo + ":0.0.9"
		}, "several image tags"},
		{"runs as root", func(s *set) {
			s.deployments["worker-inventory"].Spec.Template.Spec.SecurityContext.RunAsNonRoot = nil
		}, "runAsNonRoot is not set"},
		{"writable root filesystem", func(s *set) {
			s.jobs["migrate"].Spec.Template.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = ptr(false)
		}, "readOnlyRootFilesystem"},
		{"capabilities kept", func(s *set) {
			s.deployments["api"].Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Drop = nil
		}, "drop ALL"},
		{"no memory limit", func(s *set) {
			delete(s.deployments["worker-orders"].Spec.Template.Spec.Containers[0].Resources.Limits, corev1.ResourceMemory)
		}, "memory: no limit"},
		{"queue polled twice", func(s *set) {
			s.deployments["worker-inventory"].Spec.Template.Spec.Containers[0].Args = []string{"worker", "--queue", "orders"}
		}, `queue "orders" is polled by 2`},
		{"queue not polled", func(s *set) {
			delete(s.deployments, "worker-notifications")
		}, `queue "notifications" is polled by 0`},
		{"queue flag repeated", func(s *set) {
			c := &s.deployments["worker-orders"].Spec.Template.Spec.Containers[0]
			c.Args = append(c.Args, "--queue=inventory")
		}, "2 --queue flags"},
		{"two Deployments of one version", func(s *set) {
			d := s.deployments["worker-orders"].DeepCopy()
			d.Name = "worker-orders" + versionSuffix("0.1.0")
			s.deployments[d.Name] = d
		}, `queue "orders" is polled by 2 Deployments [worker-orders worker-orders-v0-1-0] of version "0.1.0"`},
		{"build ID not from the version label", func(s *set) {
			c := &s.deployments["worker-orders"].Spec.Template.Spec.Containers[0]
			for i, e := range c.Env {
				if e.Name == "WORKER_BUILD_ID" {
					c.Env[i] = corev1.EnvVar{Name: e.Name, Value: "0.1.0"}
				}
			}
		}, "Deployment/worker-orders container worker: WORKER_BUILD_ID must come from the pod's version label"},
		{"build ID from another field of the pod", func(s *set) {
			c := &s.deployments["worker-notifications"].Spec.Template.Spec.Containers[0]
			for i, e := range c.Env {
				if e.Name == "WORKER_BUILD_ID" {
					c.Env[i].ValueFrom.FieldRef.FieldPath = "metadata.name"
				}
			}
		}, "Deployment/worker-notifications container worker: WORKER_BUILD_ID must come from the pod's version label"},
		{"version and image tag disagree", func(s *set) {
			d := s.deployments["worker-inventory"]
			d.Spec.Template.Labels[versionLabel] = "0.2.0"
			d.Spec.Selector.MatchLabels[versionLabel] = "0.2.0"
		}, `Deployment/worker-inventory container worker: image tag "0.1.0" is not its version "0.2.0"`},
		{"selector without the version", func(s *set) {
			delete(s.deployments["worker-notifications"].Spec.Selector.MatchLabels, versionLabel)
		}, "Deployment/worker-notifications: its selector does not pin app.kubernetes.io/version=0.1.0"},
		{"autoscaler without its version", func(s *set) {
			delete(s.hpas["worker-orders"].Labels, versionLabel)
		}, `HorizontalPodAutoscaler/worker-orders: label app.kubernetes.io/version="", want its version "0.1.0"`},
		{"version label on an object shared by the versions", func(s *set) {
			s.pdbs["worker-inventory"].Labels[versionLabel] = "0.1.0"
		}, "PodDisruptionBudget/worker-inventory: labelled app.kubernetes.io/version"},
		{"setting from an unknown source", func(s *set) {
			c := &s.deployments["worker-orders"].Spec.Template.Spec.Containers[0]
			for i, e := range c.Env {
				if e.Name == "LOG_LEVEL" {
					c.Env[i].ValueFrom = &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}
				}
			}
		}, "LOG_LEVEL comes from neither a literal, the ConfigMap, the Secret nor a field of the pod"},
		{"autoscaler targets a missing Deployment", func(s *set) {
			s.hpas["worker-orders"].Spec.ScaleTargetRef.Name = "worker-order"
		}, "is not a shipped Deployment"},
		{"autoscaled Deployment pins replicas", func(s *set) {
			r := int32(3)
			s.deployments["api"].Spec.Replicas = &r
		}, "owns the count"},
		{"autoscaler without CPU request", func(s *set) {
			delete(s.deployments["worker-inventory"].Spec.Template.Spec.Containers[0].Resources.Requests, corev1.ResourceCPU)
		}, "has no cpu request"},
		{"single frontend", func(s *set) {
			r := int32(1)
			s.deployments["frontend"].Spec.Replicas = &r
		}, "fewer than 2 replicas"},
		{"service selects nothing", func(s *set) {
			s.services["api"].Spec.Selector["app.kubernetes.io/component"] = "backend"
		}, "want exactly one"},
		{"service targets an undeclared port", func(s *set) {
			s.services["frontend"].Spec.Ports[0].TargetPort = intstr.FromString("web")
		}, "is not a containerPort"},
		{"deployment without disruption budget", func(s *set) {
			delete(s.pdbs, "worker-inventory")
		}, "covered by 0 PodDisruptionBudgets"},
		{"secret key not documented", func(s *set) {
			s.deployments["worker-notifications"].Spec.Template.Spec.Containers[0].Env = append(
				s.deployments["worker-notifications"].Spec.Template.Spec.Containers[0].Env,
				corev1.EnvVar{Name: "PUSH_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: "PUSH_KEY"}}})
		}, `needs key "PUSH_KEY"`},
		{"configmap key missing", func(s *set) {
			c := &s.deployments["api"].Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: configMapName}, Key: "NOPE"}}})
		}, `needs key "NOPE"`},
		{"literal secret in a Deployment", func(s *set) {
			c := &s.deployments["api"].Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "SENDGRID_API_KEY", Value: "SG.real"})
		}, "must come from a secretKeyRef"},
		{"credential in the ConfigMap", func(s *set) {
			s.configMaps[configMapName].Data["KAFKA_SASL_PASSWORD"] = "hunter2"
		}, "it belongs in the Secret"},
		{"real value in the example Secret", func(s *set) {
			s.secrets[secretName].StringData["TWILIO_AUTH_TOKEN"] = "0123456789abcdef"
		}, "only CHANGE-ME placeholders"},
		{"ingress to a missing Service", func(s *set) {
			s.ingresses["orderflow"].Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "dashboard"
		}, `Service "dashboard" is not shipped`},
		{"scrape port not served", func(s *set) {
			s.deployments["worker-orders"].Spec.Template.Annotations["prometheus.io/port"] = "8080"
		}, "is not a containerPort"},
		{"grace period shorter than the drain", func(s *set) {
			g := int64(20)
			s.deployments["api"].Spec.Template.Spec.TerminationGracePeriodSeconds = &g
		}, "does not fit"},
		{"worker killed mid-drain", func(s *set) {
			g := int64(40)
			s.deployments["worker-notifications"].Spec.Template.Spec.TerminationGracePeriodSeconds = &g
		}, "need terminationGracePeriodSeconds >= 60"},
		{"sandbox credentials by omission", func(s *set) {
			c := &s.deployments["worker-notifications"].Spec.Template.Spec.Containers[0]
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "SENDGRID_API_KEY" })
		}, "reads SENDGRID_API_KEY, but it is not set"},
		{"api cannot verify Twilio callbacks", func(s *set) {
			c := &s.deployments["api"].Spec.Template.Spec.Containers[0]
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "TWILIO_AUTH_TOKEN" })
		}, "TWILIO_AUTH_TOKEN VAPID_PUBLIC_KEY]"}, // the last of the secrets it should read
		{"notifications worker without its database", func(s *set) {
			c := &s.deployments["worker-notifications"].Spec.Template.Spec.Containers[0]
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "DATABASE_URL" })
		}, "role worker notifications reads DATABASE_URL, but it is not set"},
		{"inventory worker without its cache", func(s *set) {
			c := &s.deployments["worker-inventory"].Spec.Template.Spec.Containers[0]
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "REDIS_URL" })
		}, "role worker inventory reads REDIS_URL, but it is not set"},
		{"setting a role does not read", func(s *set) {
			c := &s.deployments["api"].Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "KAFKA_BROKERS", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: configMapName}, Key: "KAFKA_BROKERS"}}})
		}, "sets KAFKA_BROKERS, which role api does not read"},
		{"credential a role does not read", func(s *set) {
			c := &s.jobs["migrate"].Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "WEBHOOK_SIGNING_SECRET", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: "WEBHOOK_SIGNING_SECRET"}}})
		}, "reads secrets [ADMIN_EMAIL ADMIN_PASSWORD DATABASE_URL WEBHOOK_SIGNING_SECRET], want [ADMIN_EMAIL ADMIN_PASSWORD DATABASE_URL]"},
		{"whole ConfigMap", func(s *set) {
			c := &s.deployments["frontend"].Spec.Template.Spec.Containers[0]
			c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: configMapName}}})
		}, "envFrom a whole ConfigMap"},
		{"setting from the Secret that is not a credential", func(s *set) {
			c := &s.deployments["worker-orders"].Spec.Template.Spec.Containers[0]
			for i, e := range c.Env {
				if e.Name == "PAYMENTS_URL" {
					c.Env[i].ValueFrom = &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: "PAYMENTS_URL"}}
				}
			}
		}, "PAYMENTS_URL is not a credential"},
		{"stale key in the example Secret", func(s *set) {
			s.secrets[secretName].StringData["MAILGUN_API_KEY"] = "CHANGE-ME"
		}, "documents MAILGUN_API_KEY, which no workload reads"},
		{"optional secret key undocumented", func(s *set) {
			delete(s.secrets[secretName].StringData, "TEMPORAL_API_KEY")
		}, "workloads read TEMPORAL_API_KEY, which it does not document"},
		{"dead ConfigMap key", func(s *set) {
			s.configMaps[configMapName].Data["SANDBOX_ADDR"] = "sandbox.example.com"
		}, "SANDBOX_ADDR is read by no workload"},
		{"sandbox key in production", func(s *set) {
			c := &s.deployments["api"].Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "SANDBOX_SENDGRID_WEBHOOK_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: "SANDBOX_SENDGRID_WEBHOOK_KEY"}}})
		}, "SANDBOX_SENDGRID_WEBHOOK_KEY is a sandbox setting"},
		{"development environment", func(s *set) {
			s.configMaps[configMapName].Data["ENVIRONMENT"] = "development"
		}, `Deployment/api: ENVIRONMENT="development", want "production"`},
		{"demo data in production", func(s *set) {
			c := &s.jobs["migrate"].Spec.Template.Spec.Containers[0]
			c.Args = append(c.Args, "-seed")
		}, "migrate --seed loads the demo catalogue"},
		{"signing keys in the ConfigMap", func(s *set) {
			s.configMaps[configMapName].Data["JWT_SIGNING_KEYS"] = "k1:c2VlZA=="
		}, "JWT_SIGNING_KEYS is a credential"},
		{"push sends nowhere", func(s *set) {
			s.configMaps[configMapName].Data["PUSH_BASE_URL"] = ""
		}, `PUSH_BASE_URL="", want an https:// URL`},
		{"callbacks routed to the dashboard", func(s *set) {
			for _, r := range s.ingresses["orderflow"].Spec.Rules {
				for i, p := range r.HTTP.Paths {
					if p.Path == "/webhooks" {
						r.HTTP.Paths[i].Backend.Service.Name = "frontend"
					}
				}
			}
		}, `/webhooks/twilio to Service "frontend", want api`},
		{"public API URL on a host nobody serves", func(s *set) {
			s.configMaps[configMapName].Data["PUBLIC_API_URL"] = "https://api.elsewhere.example.com"
		}, "no Ingress rule serves api.elsewhere.example.com/webhooks/sendgrid"},
		{"stock rebuild on a schedule", func(s *set) {
			s.cronJobs["inventory-drift-check"].Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args = []string{"inventory-rebuild"}
		}, "without --check rewrites stock rows"},
		{"overlapping drift checks", func(s *set) {
			s.cronJobs["inventory-drift-check"].Spec.ConcurrencyPolicy = batchv1.AllowConcurrent
		}, "want Forbid"},
		{"drift check runs as root", func(s *set) {
			s.cronJobs["inventory-drift-check"].Spec.JobTemplate.Spec.Template.Spec.SecurityContext.RunAsNonRoot = nil
		}, "CronJob/inventory-drift-check container drift-check: runAsNonRoot is not set"},
		{"credential a pod does not need", func(s *set) {
			c := &s.deployments["frontend"].Spec.Template.Spec.Containers[0]
			c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: secretName}}})
		}, "hands over every credential"},
		{"spread on the wrong pods", func(s *set) {
			s.deployments["api"].Spec.Template.Spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels["app.kubernetes.io/component"] = "frontend"
		}, "does not select its own pods"},
		{"seeding in production", func(s *set) {
			s.jobs["migrate"].Spec.Template.Spec.Containers[0].Args = []string{"migrate", "--seed"}
		}, "development only"},
		{"sandbox in production", func(s *set) {
			s.deployments["frontend"].Spec.Template.Spec.Containers[0].Args = []string{"sandbox"}
		}, `role "sandbox"`},
		{"provider pointed at the sandbox", func(s *set) {
			delete(s.configMaps[configMapName].Data, "TWILIO_BASE_URL")
		}, "TWILIO_BASE_URL=\"\", want an https:// URL"},
		{"wrong namespace", func(s *set) {
			s.services["api"].Namespace = "default"
		}, `namespace "default"`},
	}
	requireCaught(t, cases, load)
}

// kustomization is the part of kustomize's Kustomization this repo uses; the
// strict decode rejects anything else, so a new field needs a deliberate edit.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// TestKustomization: `kubectl apply -k` of an overlay applies every manifest
// of base/ but the example Secret: each file is listed by the kustomization
// of its folder, and base/ lists workers/.
func TestKustomization(t *testing.T) {
	listed := map[string]bool{}
	for _, dir := range []string{baseDir, workersDir} {
		file := filepath.Join(dir, "kustomization.yaml")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var k kustomization
		if err := yaml.UnmarshalStrict(data, &k); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
			t.Errorf("%s: apiVersion/kind %s/%s", file, k.APIVersion, k.Kind)
		}
		for _, r := range k.Resources {
			r = filepath.Join(dir, r)
			if listed[r] {
				t.Errorf("%s: %s listed twice", file, r)
			}
			listed[r] = true
			if _, err := os.Stat(r); err != nil {
				t.Errorf("%s: listed resource %s: %v", file, r, err)
			}
		}
	}
	if !listed[workersDir] {
		t.Errorf("%s/kustomization.yaml does not list %s/, so `kubectl apply -k` skips the workers", baseDir, workersDir)
	}
	for _, f := range manifestFiles(t) {
		switch {
		case f == exampleSecretFile && listed[f]:
			t.Errorf("%s is listed: `kubectl apply -k` would overwrite the real Secret with placeholders", f)
		case f != exampleSecretFile && !listed[f]:
			t.Errorf("%s is not listed in %s, so `kubectl apply -k` skips it", f, filepath.Join(filepath.Dir(f), "kustomization.yaml"))
		}
	}
}
