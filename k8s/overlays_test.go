package k8s_test

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/orderflow/orderflow/internal/platform/config"
)

const (
	componentsDir = "components"
	monitoringDir = "monitoring"
)

// overlays are what an operator applies (k8s/README.md: Deploy), with what
// the checks expect of each: production's settings, or a development
// cluster's single replicas and ENVIRONMENT.
var overlays = []struct {
	dir         string
	environment string
	minReplicas int32
	components  []string
}{
	{"overlays/production", config.Production, 2, []string{"network-policies", "monitoring"}},
	{"overlays/development", config.Development, 1, []string{"network-policies"}},
}

// withExampleSecret adds the example Secret, which no kustomization
// applies, so the checks can hold the rendered workloads' secretKeyRefs to
// the keys it documents, as they do the base's.
func withExampleSecret(t *testing.T, s *set) *set {
	t.Helper()
	data, err := os.ReadFile(exampleSecretFile)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := documents(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs {
		obj, err := decode(doc)
		if err != nil {
			t.Fatalf("%s: %v", exampleSecretFile, err)
		}
		if err := s.add(exampleSecretFile, obj); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// memK8s is base/, components/ and monitoring/ copied into memory under
// /k8s, where a test writes kustomizations of its own beside them.
func memK8s(t *testing.T) filesys.FileSystem {
	t.Helper()
	fsys := filesys.MakeFsInMemory()
	for _, dir := range []string{baseDir, componentsDir, monitoringDir} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return fsys.WriteFile(filepath.Join("/k8s", path), data)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return fsys
}

// renderWith is the base with the given components (components/<name>),
// as an overlay opting into them renders it, plus the example Secret.
func renderWith(t *testing.T, components ...string) *set {
	t.Helper()
	fsys := memK8s(t)
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../" + baseDir + "]\ncomponents:\n"
	for _, c := range components {
		k += "  - ../" + componentsDir + "/" + c + "\n"
	}
	if err := fsys.WriteFile("/k8s/test/kustomization.yaml", []byte(k)); err != nil {
		t.Fatal(err)
	}
	return withExampleSecret(t, render(t, fsys, "/k8s/test"))
}

// overlayKustomization is the part of a Kustomization the overlays use,
// decoded strictly.
type overlayKustomization struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Resources  []string        `json:"resources"`
	Components []string        `json:"components"`
	Images     []types.Image   `json:"images"`
	Replicas   []types.Replica `json:"replicas"`
	Patches    []types.Patch   `json:"patches"`
}

// TestOverlays: each overlay renders, with the kustomize API, into objects
// that decode strictly into their real types (KEDA's and the Prometheus
// Operator's too) and pass every check the base passes, with the overlay's
// own expectations (replicas, ENVIRONMENT); it sets the release through
// `images:`, the host and its TLS Secret on the Ingress and wherever the
// app names the host, and opts into the components it lists.
func TestOverlays(t *testing.T) {
	base := load(t)
	release := releaseTag(t, base)
	for _, o := range overlays {
		t.Run(o.dir, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join(o.dir, "kustomization.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var k overlayKustomization
			if err := yaml.UnmarshalStrict(text, &k); err != nil {
				t.Fatalf("%s/kustomization.yaml: %v", o.dir, err)
			}
			if !slices.Equal(k.Resources, []string{"../../" + baseDir}) {
				t.Errorf("%s: resources %v, want the base only", o.dir, k.Resources)
			}
			var want []string
			for _, c := range o.components {
				want = append(want, "../../"+componentsDir+"/"+c)
			}
			if !slices.Equal(k.Components, want) {
				t.Errorf("%s: components %v, want %v", o.dir, k.Components, want)
			}
			// A tag, the workers' version, and optionally its digest.
			if len(k.Images) != 1 || k.Images[0].Name != imageRepo || k.Images[0].NewTag == "" || k.Images[0].NewName != "" {
				t.Fatalf("%s: images %+v, want %s with newTag (and optionally digest)", o.dir, k.Images, imageRepo)
			}
			if tag := k.Images[0].NewTag; tag != release {
				t.Errorf("%s: image tag %q, the base and the workers' version %q: one release is one tag", o.dir, tag, release)
			}

			s := withExampleSecret(t, render(t, filesys.MakeFsOnDisk(), o.dir))
			s.environment, s.minReplicas = o.environment, o.minReplicas
			for _, err := range runChecks(s) {
				t.Error(err)
			}
			for _, key := range sortedKeys(base.objects) {
				if _, ok := s.objects[key]; !ok && key != "Secret/"+secretName {
					t.Errorf("%s drops %s of the base", o.dir, key)
				}
			}
			image := imageRepo + ":" + k.Images[0].NewTag
			if d := k.Images[0].Digest; d != "" {
				image += "@" + d
			}
			for _, w := range s.workloads() {
				for _, c := range containers(w.pod) {
					if c.Image != image {
						t.Errorf("%s: %s container %s runs %s, not the overlay's image", o.dir, w, c.Name, c.Image)
					}
				}
			}

			// Host and TLS: the Ingress serves one host over TLS, the one
			// PUBLIC_API_URL and CORS_ALLOWED_ORIGINS name, and not the base's.
			cm := s.configMaps[configMapName]
			u, err := url.Parse(cm.Data["PUBLIC_API_URL"])
			if err != nil {
				t.Fatal(err)
			}
			ing := s.ingresses["orderflow"]
			if ing == nil || len(ing.Spec.Rules) != 1 || len(ing.Spec.TLS) != 1 {
				t.Fatalf("%s: want Ingress/orderflow with one rule and one TLS entry", o.dir)
			}
			host := ing.Spec.Rules[0].Host
			if host == base.ingresses["orderflow"].Spec.Rules[0].Host {
				t.Errorf("%s: the Ingress keeps the base's host %s", o.dir, host)
			}
			if tls := ing.Spec.TLS[0]; !slices.Equal(tls.Hosts, []string{host}) || tls.SecretName == "" ||
				tls.SecretName == base.ingresses["orderflow"].Spec.TLS[0].SecretName {
				t.Errorf("%s: TLS %+v, want host %s with the overlay's own Secret", o.dir, tls, host)
			}
			if u.Scheme != "https" || u.Host != host || cm.Data["CORS_ALLOWED_ORIGINS"] != "https://"+host {
				t.Errorf("%s: PUBLIC_API_URL %q, CORS_ALLOWED_ORIGINS %q, want https://%s", o.dir, u, cm.Data["CORS_ALLOWED_ORIGINS"], host)
			}
			if cm.Data["ENVIRONMENT"] != o.environment {
				t.Errorf("%s: ENVIRONMENT %q, want %q", o.dir, cm.Data["ENVIRONMENT"], o.environment)
			}

			has := func(c string) bool { return slices.Contains(o.components, c) }
			if got := len(s.networkPolicies) > 0; got != has("network-policies") {
				t.Errorf("%s: NetworkPolicies rendered: %v, network-policies component listed: %v", o.dir, got, !got)
			}
			if got := len(s.prometheusRules) > 0 && len(s.podMonitors) > 0 && len(s.serviceMonitors) > 0; got != has("monitoring") {
				t.Errorf("%s: monitoring objects rendered: %v, monitoring component listed: %v", o.dir, got, !got)
			}
			if got := len(s.scaledObjects) > 0; got != has("keda") {
				t.Errorf("%s: ScaledObjects rendered: %v, keda component listed: %v", o.dir, got, !got)
			}
			if o.minReplicas == 1 {
				if r := s.deployments["frontend"].Spec.Replicas; r == nil || *r != 1 {
					t.Errorf("%s: frontend replicas %v, want 1", o.dir, r)
				}
				for name, h := range s.hpas {
					if *h.Spec.MinReplicas != 1 {
						t.Errorf("%s: HorizontalPodAutoscaler/%s minReplicas %d, want 1", o.dir, name, *h.Spec.MinReplicas)
					}
				}
			}
		})
	}
}

// TestEveryComponentIsTested: each folder of components/ is a Component
// that the tests below render.
func TestEveryComponentIsTested(t *testing.T) {
	entries, err := os.ReadDir(componentsDir)
	if err != nil {
		t.Fatal(err)
	}
	tested := []string{"keda", "keda-temporal-api-key", "keda-temporal-mtls", "monitoring", "network-policies"}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		text, err := os.ReadFile(filepath.Join(componentsDir, e.Name(), "kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var k struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(text, &k); err != nil || k.APIVersion != "kustomize.config.k8s.io/v1alpha1" || k.Kind != "Component" {
			t.Errorf("%s/%s: %s/%s (%v), want a kustomize.config.k8s.io/v1alpha1 Component", componentsDir, e.Name(), k.APIVersion, k.Kind, err)
		}
	}
	if !slices.Equal(got, tested) {
		t.Errorf("components/ holds %v, the tests render %v", got, tested)
	}
}

// TestKEDAComponent: components/keda replaces each worker's HPA with a
// ScaledObject of the same bounds (the api keeps its HPA) and changes
// nothing else; the auth components point every temporal trigger at their
// TriggerAuthentication. Every check of the manifests still holds.
func TestKEDAComponent(t *testing.T) {
	base := withExampleSecret(t, render(t, filesys.MakeFsOnDisk(), baseDir))
	s := renderWith(t, "keda")
	for _, err := range runChecks(s) {
		t.Error(err)
	}
	for _, key := range sortedKeys(base.objects) {
		kind, name, _ := strings.Cut(key, "/")
		worker := kind == "HorizontalPodAutoscaler" && isWorker(base.deployments[base.hpas[name].Spec.ScaleTargetRef.Name])
		_, kept := s.objects[key]
		switch {
		case worker && kept:
			t.Errorf("%s is still there: two autoscalers on one Deployment", key)
		case !worker && !kept:
			t.Errorf("%s is gone", key)
		case !worker && !reflect.DeepEqual(s.objects[key], base.objects[key]):
			t.Errorf("%s: the component changes it:\n%s", key, diffYAML(t, base.objects[key], s.objects[key]))
		}
	}
	for _, name := range workerDeployments() {
		so, h := s.scaledObjects[name], base.hpas[name]
		if so == nil {
			t.Errorf("no ScaledObject/%s", name)
			continue
		}
		if *so.Spec.MinReplicaCount != *h.Spec.MinReplicas || *so.Spec.MaxReplicaCount != h.Spec.MaxReplicas {
			t.Errorf("ScaledObject/%s scales %d..%d, its HPA %d..%d", name, *so.Spec.MinReplicaCount, *so.Spec.MaxReplicaCount, *h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
	}
	if len(s.scaledObjects) != len(workerDeployments()) {
		t.Errorf("%d ScaledObjects, want one per worker", len(s.scaledObjects))
	}

	for _, auth := range []struct{ component, name, tls string }{
		{"keda-temporal-api-key", "temporal-api-key", "true"},
		{"keda-temporal-mtls", "temporal-mtls", ""},
	} {
		s := renderWith(t, "keda", auth.component)
		for _, err := range runChecks(s) {
			t.Errorf("%s: %v", auth.component, err)
		}
		if _, ok := s.triggerAuthentications[auth.name]; !ok || len(s.triggerAuthentications) != 1 {
			t.Errorf("%s: TriggerAuthentications %v, want %s", auth.component, sortedKeys(s.triggerAuthentications), auth.name)
		}
		for _, name := range sortedKeys(s.scaledObjects) {
			for _, tr := range s.scaledObjects[name].Spec.Triggers {
				if tr.Type != "temporal" {
					continue
				}
				if tr.AuthenticationRef == nil || tr.AuthenticationRef.Name != auth.name || tr.Metadata["enableTLS"] != auth.tls {
					t.Errorf("%s: ScaledObject/%s: authenticationRef %+v enableTLS %q, want %s, %q", auth.component, name, tr.AuthenticationRef, tr.Metadata["enableTLS"], auth.name, auth.tls)
				}
			}
		}
	}
}

// TestMonitoringComponent: components/monitoring adds exactly what
// k8s/monitoring builds (which its own tests check), unchanged, to the base.
func TestMonitoringComponent(t *testing.T) {
	base := withExampleSecret(t, render(t, filesys.MakeFsOnDisk(), baseDir))
	mon := render(t, filesys.MakeFsOnDisk(), monitoringDir)
	s := renderWith(t, "monitoring")
	for _, err := range runChecks(s) {
		t.Error(err)
	}
	want := append(sortedKeys(base.objects), sortedKeys(mon.objects)...)
	slices.Sort(want)
	if got := sortedKeys(s.objects); !slices.Equal(got, want) {
		t.Fatalf("base + monitoring renders %v, want %v", got, want)
	}
	for key, obj := range mon.objects {
		if !reflect.DeepEqual(s.objects[key], obj) {
			t.Errorf("%s differs from k8s/monitoring's", key)
		}
	}
}

// checkSchemaWait: new code serves only once the schema it embeds is in the
// database. Every Deployment that uses PostgreSQL (the api, the workers)
// starts with the wait-for-schema init container, of its own image (the
// migrations it waits for are that binary's), and one Job migrates.
func checkSchemaWait(s *set) []error {
	var errs []error
	for _, name := range sortedKeys(s.deployments) {
		d := s.deployments[name]
		needs := name == "api" || isWorker(d)
		var waits []string
		for _, c := range d.Spec.Template.Spec.InitContainers {
			if roleOf(append(slices.Clone(c.Command), c.Args...)) == "wait-for-schema" {
				waits = append(waits, c.Name)
				if len(d.Spec.Template.Spec.Containers) > 0 && c.Image != d.Spec.Template.Spec.Containers[0].Image {
					errs = append(errs, fmt.Errorf("Deployment/%s init container %s: image %s, not the pod's %s: it must wait for the migrations of the binary that serves",
						name, c.Name, c.Image, d.Spec.Template.Spec.Containers[0].Image))
				}
			}
		}
		switch {
		case needs && len(waits) != 1:
			errs = append(errs, fmt.Errorf("Deployment/%s: %d wait-for-schema init containers, want 1: its pods would serve before the migrate Job has run", name, len(waits)))
		case !needs && len(waits) > 0:
			errs = append(errs, fmt.Errorf("Deployment/%s: waits for the schema, but reads no database", name))
		}
	}
	return errs
}

// TestImageDigest: an overlay may pin the release's digest beside its tag
// (`images:` with newTag and digest); a digest alone loses the tag, which
// is the workers' version, and another digest for one tag is a mixed release.
func TestImageDigest(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ images, want string }{
		{"newTag: \"0.1.0\"\n    digest: " + digest, ""},
		{"digest: " + digest, "is not its version"},
	} {
		fsys := memK8s(t)
		k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../" + baseDir + "]\n" +
			"images:\n  - name: " + imageRepo + "\n    " + tc.images + "\n"
		if err := fsys.WriteFile("/k8s/test/kustomization.yaml", []byte(k)); err != nil {
			t.Fatal(err)
		}
		s := withExampleSecret(t, render(t, fsys, "/k8s/test"))
		errs := runChecks(s)
		found := tc.want == "" && len(errs) == 0
		for _, err := range errs {
			found = found || (tc.want != "" && strings.Contains(err.Error(), tc.want))
		}
		if !found {
			t.Errorf("images %q: want %q, got %v", tc.images, tc.want, errs)
		}
	}
	s := load(t)
	s.deployments["api"].Spec.Template.Spec.Containers[0].Image += "@" + digest
	if errs := checkImages(s); len(errs) == 0 {
		t.Error("one pod of a digest, the others without: no error")
	}
}
