// Validates rendered objects against the Kubernetes OpenAPI schemas compiled in `kubernetes-models`, plus the
// strictness the API server's field validation adds: a field the schema does not know is an error (those
// generated validators ignore unknown fields, so every field they never read is reported).

import { validate as validateDeployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as validateHpa } from 'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler';
import { validate as validateConfigMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as validateService } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as validateServiceAccount } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { validate as validateNetworkPolicy } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy';
import { validate as validatePdb } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { K8sObject } from '../../helpers/helm.ts';

interface Validatable {
  validate(): void;
}
type ModelConstructor = new (data: never) => Validatable;
/** The generated JSON-schema validator of a kind (the one the model's `validate()` runs). */
type SchemaValidator = (data: unknown) => boolean;

/** Built-in kinds by `apiVersion/kind`: the model and its schema validator. */
export const BUILT_IN_MODELS: Readonly<Record<string, readonly [ModelConstructor, SchemaValidator]>> = {
  'apps/v1/Deployment': [Deployment, validateDeployment],
  'v1/Service': [Service, validateService],
  'v1/ConfigMap': [ConfigMap, validateConfigMap],
  'v1/ServiceAccount': [ServiceAccount, validateServiceAccount],
  'autoscaling/v2/HorizontalPodAutoscaler': [HorizontalPodAutoscaler, validateHpa],
  'policy/v1/PodDisruptionBudget': [PodDisruptionBudget, validatePdb],
  'networking.k8s.io/v1/NetworkPolicy': [NetworkPolicy, validateNetworkPolicy],
};

interface Tracked {
  readonly path: string;
  readonly keys: readonly string[];
  readonly read: Set<string>;
}

/** A deep copy whose objects record which of their keys were read. */
function track(value: unknown, path: string, records: Tracked[]): unknown {
  if (Array.isArray(value)) return value.map((item, i) => track(item, `${path}[${i}]`, records));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) copy[key] = track(child, `${path}.${key}`, records);
  const record: Tracked = { path, keys: Object.keys(copy), read: new Set() };
  records.push(record);
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === 'string') record.read.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
}

/** Throws with every schema violation and unknown field of a built-in object; false for kinds it does not know. */
export function validateBuiltIn(object: K8sObject): boolean {
  const entry = BUILT_IN_MODELS[`${object.apiVersion}/${object.kind}`];
  if (!entry) return false;
  const [Model, schemaValidator] = entry;
  const name = `${object.kind} ${object.metadata.name}`;
  try {
    new Model(object as never).validate();
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  // The model copies its input, so the read tracking runs the same validator on a tracked copy directly.
  const records: Tracked[] = [];
  const { apiVersion, kind, ...rest } = object;
  const data: Record<string, unknown> = { apiVersion, kind };
  for (const [key, value] of Object.entries(rest)) data[key] = track(value, key, records);
  schemaValidator(data);
  const unknown = records.flatMap((r) =>
    r.keys.filter((key) => !r.read.has(key)).map((key) => `${r.path}.${key}`),
  );
  if (unknown.length > 0) throw new Error(`${name}: unknown fields ${unknown.join(', ')}`);
  return true;
}
