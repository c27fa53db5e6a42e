// Checks deploy/k8s/: every manifest against the Kubernetes API schemas
// (kubernetes-models' validators, generated from the API's OpenAPI
// document), and the settings the design's deployment names.
// Usage: node web/k8s-tests/validate.mjs [dir]; exit 1 on any problem.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { Namespace, ConfigMap, Secret, Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? join(here, "../../deploy/k8s");
const models = {
  "v1/Namespace": Namespace, "v1/ConfigMap": ConfigMap, "v1/Secret": Secret,
  "v1/Service": Service, "apps/v1/Deployment": Deployment,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};
const problems = [];
const byKind = {};

const kustomization = parseAllDocuments(
  readFileSync(join(dir, "kustomization.yaml"), "utf8"))[0].toJS();
for (const file of kustomization.resources) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
    const m = doc.toJS();
    const Model = models[`${m.apiVersion}/${m.kind}`];
    if (!Model) {
      problems.push(`${file}: no schema for ${m.apiVersion} ${m.kind}`);
      continue;
    }
    try {
      new Model(m).validate();
    } catch (e) {
      problems.push(`${file}: ${m.kind} ${m.metadata?.name}: ${e.message}`);
    }
    byKind[m.kind] = m;
  }
}

// The design's deployment, field by field.
function expect(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want))
    problems.push(`${what} is ${JSON.stringify(got)}, the design says ${JSON.stringify(want)}`);
}
const d = byKind.Deployment;
if (!d) problems.push("no Deployment");
else {
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  expect("replicas", d.spec.replicas, 3);
  expect("strategy", d.spec.strategy,
         { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  expect("terminationGracePeriodSeconds", pod.terminationGracePeriodSeconds, 30);
  expect("resources", c.resources,
         { requests: { memory: "512Mi", cpu: "500m" }, limits: { memory: "1Gi", cpu: "1000m" } });
  expect("liveness probe path", c.livenessProbe?.httpGet?.path, "/health");
  expect("readiness probe path", c.readinessProbe?.httpGet?.path, "/ready");
  if (!c.lifecycle?.preStop?.exec?.command?.join(" ").includes("kill -TERM 1"))
    problems.push("the preStop hook does not drain the node (SIGTERM to it)");
  const configMapped = pod.volumes.some((v) => v.configMap?.name === byKind.ConfigMap?.metadata.name);
  if (!configMapped) problems.push("the config does not come from the ConfigMap");
  const fromSecret = c.env.some((e) => e.valueFrom?.secretKeyRef?.name === byKind.Secret?.metadata.name);
  if (!fromSecret) problems.push("the store URL does not come from the Secret");
  // The restricted Pod Security Standard.
  expect("runAsNonRoot", pod.securityContext.runAsNonRoot, true);
  expect("seccompProfile", pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
  expect("allowPrivilegeEscalation", c.securityContext.allowPrivilegeEscalation, false);
  expect("capabilities", c.securityContext.capabilities, { drop: ["ALL"] });
  expect("readOnlyRootFilesystem", c.securityContext.readOnlyRootFilesystem, true);
}
expect("namespace policy", byKind.Namespace?.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
expect("PodDisruptionBudget minAvailable", byKind.PodDisruptionBudget?.spec.minAvailable, 2);
expect("HPA target", byKind.HorizontalPodAutoscaler?.spec.scaleTargetRef.name, d?.metadata.name);
expect("HPA minReplicas", byKind.HorizontalPodAutoscaler?.spec.minReplicas, 3);
// Only nodes reach the cluster port.
const np = byKind.NetworkPolicy;
const clusterRule = np?.spec.ingress.find((r) => r.ports.some((p) => p.port === 4242));
expect("cluster port peers", clusterRule?.from, [{ podSelector: { matchLabels: d?.spec.selector.matchLabels } }]);
if (np?.spec.ingress.some((r) => !r.from && r.ports.some((p) => p.port === 4242)))
  problems.push("the NetworkPolicy opens the cluster port to everyone");
if (!byKind.Ingress?.spec.tls?.length) problems.push("the Ingress has no TLS");

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`deploy/k8s: ${kustomization.resources.length} manifests valid and as the design says`);
