{{/* Names and labels. */}}
{{- define "semantic-router.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "semantic-router.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "semantic-router.selectorLabels" -}}
app.kubernetes.io/name: {{ include "semantic-router.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "semantic-router.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "semantic-router.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: router
{{- end }}

{{- define "semantic-router.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "semantic-router.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "semantic-router.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "semantic-router.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "semantic-router.fullname" .)) .Values.policy.existingConfigMap }}
{{- end }}

{{/* Fully qualified name of the router's Service (what gateways outside the pod dial). */}}
{{- define "semantic-router.serviceHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "semantic-router.fullname" .) .Release.Namespace }}
{{- end }}

{{/* The policy YAML the chart renders: policy.document, or the bundled default policy. */}}
{{- define "semantic-router.policyText" -}}
{{- if .Values.policy.document }}
{{- toYaml .Values.policy.document }}
{{- else }}
{{- .Files.Get "files/default-policy.yaml" }}
{{- end }}
{{- end }}

{{/*
Envoy cluster names of the pools, as JSON {"names": [...], "default": "..."}: from the policy's `pools`
(envoy_cluster or name) so that routes and policy cannot drift; with policy.existingConfigMap (unreadable at
render time) from the keys of envoy.upstreams. The default pool is envoy.defaultPool, else the first pool of the
policy's default_model.
*/}}
{{- define "semantic-router.pools" -}}
{{- $names := list }}
{{- $default := .Values.envoy.defaultPool }}
{{- if .Values.policy.existingConfigMap }}
{{- $names = keys .Values.envoy.upstreams | sortAlpha }}
{{- $default = default (first $names) $default }}
{{- else }}
{{- $policy := include "semantic-router.policyText" . | fromYaml }}
{{- if hasKey $policy "Error" }}
{{- fail (printf "policy: not valid YAML: %s" $policy.Error) }}
{{- end }}
{{- if not $policy.pools }}
{{- fail "policy: no top-level `pools:` list (the chart derives the Envoy clusters from it)" }}
{{- end }}
{{- $clusterOf := dict }}
{{- range $policy.pools }}
{{- $cluster := default .name .envoy_cluster }}
{{- $names = append $names $cluster }}
{{- $_ := set $clusterOf .name $cluster }}
{{- end }}
{{- if not $default }}
{{- range $policy.models }}
{{- if and (eq .name $policy.default_model) .pools }}
{{- $default = get $clusterOf (first .pools) }}
{{- end }}
{{- end }}
{{- end }}
{{- $default = default (first $names) $default }}
{{- end }}
{{- if not (has $default $names) }}
{{- fail (printf "envoy.defaultPool %q is not a pool cluster (pools: %s)" $default (join ", " $names)) }}
{{- end }}
{{- toJson (dict "names" $names "default" $default) }}
{{- end }}

{{/* The upstream of pool cluster `name` from `upstreams`; fails when it is missing. Args: (list $ name). */}}
{{- define "semantic-router.upstream" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $upstream := get $root.Values.envoy.upstreams $name }}
{{- if not $upstream }}
{{- fail (printf "envoy.upstreams.%s is missing: every pool of the policy needs an upstream {address, port}" $name) }}
{{- end }}
{{- toJson $upstream }}
{{- end }}

{{/* The ext_proc HttpFilter (same settings as deploy/envoy.yaml). Args: dict values, cluster or target. */}}
{{- define "semantic-router.envoyExtProcFilter" -}}
name: envoy.filters.http.ext_proc
typed_config:
  '@type': type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
  grpc_service:
    {{- if .cluster }}
    envoy_grpc:
      cluster_name: {{ .cluster | quote }}
    {{- else }}
    google_grpc:
      target_uri: {{ .target | quote }}
      stat_prefix: semantic_router
    {{- end }}
    timeout: {{ .values.envoy.routeTimeout }}
  failure_mode_allow: false
  processing_mode:
    request_header_mode: SEND
    response_header_mode: SEND
    request_body_mode: BUFFERED
    response_body_mode: BUFFERED
    request_trailer_mode: SKIP
    response_trailer_mode: SKIP
  allow_mode_override: true
  message_timeout: {{ .values.envoy.messageTimeout }}
  max_message_timeout: {{ .values.envoy.maxMessageTimeout }}
  stat_prefix: semantic_router
  mutation_rules:
    allow_expression:
      regex: '^(x-selected-.+|x-router-.+|content-length)$'
{{- end }}
