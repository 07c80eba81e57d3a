{{/*
The Envoy sidecar's static bootstrap: the same listener, HTTP filters (header_mutation, jwt_authn, ext_proc,
router), routes and clusters as deploy/envoy.yaml, with one cluster per pool of the policy and one aggregate
cluster per failover pair (docs/failover.md). Args: dict root, pools ({names, default}).
*/}}
{{- define "semantic-router.envoyConfig" -}}
{{- $root := .root }}
{{- $envoy := $root.Values.envoy }}
{{- $jwt := $envoy.jwtAuthn }}
{{- $jwks := include "semantic-router.jwksUpstream" $root | fromJson }}
{{- if and $jwks.cluster (has $jwks.cluster .pools.names) }}
{{- fail (printf "envoy.jwtAuthn.remoteJwks.cluster %q is also a pool cluster: name the JWKS cluster differently" $jwks.cluster) }}
{{- end }}
{{- $metadataNamespace := include "semantic-router.routerMetadataNamespace" $root }}
{{- $failover := include "semantic-router.failoverPairs" $root | fromJson }}
{{- range $failover.pairs }}
{{- $name := join "--" . }}
{{- range . }}
{{- if not (has . $.pools.names) }}
{{- fail (printf "failover cluster %q: %q is not a pool cluster (pools: %s)" $name . (join ", " $.pools.names)) }}
{{- end }}
{{- end }}
{{- if not (regexMatch "^[A-Za-z0-9_.:-]+$" $name) }}
{{- fail (printf "failover cluster %q: pool cluster names of failover models may only use letters, digits and _ . : -" $name) }}
{{- end }}
{{- if or (has $name $.pools.names) (eq $name "semantic-router") (eq $name (toString $jwks.cluster)) }}
{{- fail (printf "failover cluster %q has the name of another cluster: rename the pool cluster" $name) }}
{{- end }}
{{- end }}
{{- $upstreamClusterHeader := printf "%%UPSTREAM_METADATA(%s:cluster)%%" $metadataNamespace }}
admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: {{ $envoy.adminPort | int }} }

overload_manager:
  resource_monitors:
    - name: envoy.resource_monitors.global_downstream_max_connections
      typed_config:
        '@type': type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig
        max_active_downstream_connections: 50000

static_resources:
  listeners:
    - name: llm_ingress
      address:
        socket_address: { address: 0.0.0.0, port_value: {{ $envoy.listenerPort | int }} }
      per_connection_buffer_limit_bytes: {{ $envoy.bufferLimitBytes | int64 }}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                '@type': type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: llm_ingress
                codec_type: AUTO
                # Before any filter or route sees :path (docs/envoy-hardening.md): dot segments resolved, duplicate
                # slashes merged, %2F/%5C decoded, so the router, the routes and the upstream see the same path.
                normalize_path: true
                merge_slashes: true
                path_with_escaped_slashes_action: {{ $envoy.pathWithEscapedSlashesAction }}
                common_http_protocol_options:
                  # Some upstreams read x_authz_user_id as x-authz-user-id, past the header removal below.
                  headers_with_underscores_action: REJECT_REQUEST
                  max_headers_count: {{ $envoy.maxHeadersCount | int }}
                max_request_headers_kb: {{ $envoy.maxRequestHeadersKb | int }}
                access_log:
                  - name: envoy.access_loggers.stdout
                    typed_config:
                      '@type': type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
                      log_format:
                        text_format_source:
                          inline_string: >
                            [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
                            %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%ms
                            model=%REQ(X-SELECTED-MODEL)% pool=%REQ(X-SELECTED-POOL)%
                            cluster=%UPSTREAM_CLUSTER% upstream=%UPSTREAM_HOST%
                            decision=%RESP(X-ROUTER-DECISION)% path=%RESP(X-ROUTER-RESPONSE-PATH)%
                            request_id=%REQ(X-REQUEST-ID)%
                            answered_by={{ $upstreamClusterHeader }} attempts=%UPSTREAM_REQUEST_ATTEMPT_COUNT%
                            router.decision=%DYNAMIC_METADATA({{ $metadataNamespace }}:decision)%
                            router.model=%DYNAMIC_METADATA({{ $metadataNamespace }}:model)%
                            router.pool=%DYNAMIC_METADATA({{ $metadataNamespace }}:pool)%
                            prompt_tokens=%DYNAMIC_METADATA({{ $metadataNamespace }}:prompt_tokens)%
                            completion_tokens=%DYNAMIC_METADATA({{ $metadataNamespace }}:completion_tokens)%
                            ttft_ms=%DYNAMIC_METADATA({{ $metadataNamespace }}:ttft_ms)%
                            cost=%DYNAMIC_METADATA({{ $metadataNamespace }}:cost)%
                route_config:
                  name: llm_routes
                  virtual_hosts:
                    - name: llm
                      domains: ['*']
                      routes:
                        # Envoy's own health (the pod's readiness probe): answered locally, not sent to the router.
                        - match: { path: /healthz }
                          direct_response:
                            status: 200
                            body: { inline_string: "ok\n" }
                          typed_per_filter_config:
                            envoy.filters.http.ext_proc:
                              '@type': type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute
                              disabled: true
                        {{- if $failover.pairs }}
                        # A pool of a `failover: true` model, with a healthy fallback pool: the aggregate cluster
                        # `<primary>--<fallback>`; a failed first attempt is retried once on the fallback pool.
                        - match:
                            prefix: /
                            headers:
                              - name: x-router-failover-cluster
                                present_match: true
                          route:
                            cluster_header: x-router-failover-cluster
                            timeout: {{ $envoy.routeTimeout }}
                            retry_policy:
                              retry_on: 5xx,reset,connect-failure,refused-stream
                              num_retries: 1
                              retry_priority:
                                name: envoy.retry_priorities.previous_priorities
                                typed_config:
                                  '@type': type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig
                                  update_frequency: 1
                              retry_host_predicate:
                                - name: envoy.retry_host_predicates.previous_hosts
                                  typed_config:
                                    '@type': type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate
                              host_selection_retry_max_attempts: 3
                          # The pool cluster of the host that answered (%UPSTREAM_CLUSTER% names the aggregate).
                          response_headers_to_add:
                            - header:
                                key: x-router-upstream-cluster
                                value: {{ $upstreamClusterHeader | squote }}
                              append_action: OVERWRITE_IF_EXISTS_OR_ADD
                            # Attempts made (2: the first failed and was retried), so the router charges the
                            # primary pool only for a failure it really had.
                            - header:
                                key: x-router-upstream-attempts
                                value: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%'
                              append_action: OVERWRITE_IF_EXISTS_OR_ADD
                        {{- end }}
                        # The router chose a pool: send the request to the cluster it named; a connection-level failure
                        # is retried once on another host of the pool.
                        - match:
                            prefix: /
                            headers:
                              - name: x-selected-pool
                                present_match: true
                          route:
                            cluster_header: x-selected-pool
                            timeout: {{ $envoy.routeTimeout }}
                            retry_policy:
                              retry_on: reset,connect-failure,refused-stream
                              num_retries: 1
                              retry_host_predicate:
                                - name: envoy.retry_host_predicates.previous_hosts
                                  typed_config:
                                    '@type': type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate
                              host_selection_retry_max_attempts: 3
                          response_headers_to_add:
                            - header:
                                key: x-router-upstream-cluster
                                value: {{ $upstreamClusterHeader | squote }}
                              append_action: OVERWRITE_IF_EXISTS_OR_ADD
                            # Attempts made (2: the first failed and was retried), so the router charges the
                            # primary pool only for a failure it really had.
                            - header:
                                key: x-router-upstream-attempts
                                value: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%'
                              append_action: OVERWRITE_IF_EXISTS_OR_ADD
                        # No pool chosen (non-LLM path): the default pool.
                        - match: { prefix: / }
                          route:
                            cluster: {{ .pools.default | quote }}
                            timeout: {{ $envoy.routeTimeout }}
                http_filters:
                  # Client-sent identity and routing headers are removed before anything reads or sets them.
                  - {{- include "semantic-router.envoyHeaderMutationFilter" $root | nindent 20 }}
                  {{- if $jwt.enabled }}
                  # A bearer JWT, when present, must verify; its claims go to metadata and the identity headers.
                  - {{- include "semantic-router.envoyJwtAuthnFilter" (dict "root" $root "jwks" $jwks) | nindent 20 }}
                  {{- end }}
                  # ext_proc must run before the router filter, which picks the upstream cluster.
                  - {{- include "semantic-router.envoyRouterExtProcFilter" (dict "values" $root.Values "cluster" "semantic-router") | nindent 20 }}
                  - name: envoy.filters.http.router
                    typed_config:
                      '@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router

  clusters:
    # The router, in the same pod: gRPC (HTTP/2 only).
    - name: semantic-router
      type: STATIC
      connect_timeout: 1s
      per_connection_buffer_limit_bytes: {{ $envoy.bufferLimitBytes | int64 }}
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          '@type': type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config:
            http2_protocol_options:
              connection_keepalive:
                interval: 30s
                timeout: 5s
      load_assignment:
        cluster_name: semantic-router
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: 127.0.0.1, port_value: {{ $root.Values.router.grpcPort | int }} }
    # One cluster per pool of the policy (cluster name = the x-selected-pool value). Outlier detection ejects failing
    # hosts within the pool; each endpoint names its pool cluster in metadata (x-router-upstream-cluster).
    {{- $outlier := $envoy.outlierDetection }}
    {{- range .pools.names }}
    {{- $upstream := include "semantic-router.upstream" (list $root .) | fromJson }}
    - name: {{ . | quote }}
      type: STRICT_DNS
      connect_timeout: 5s
      lb_policy: {{ $envoy.upstreamLbPolicy }}
      per_connection_buffer_limit_bytes: {{ $envoy.bufferLimitBytes | int64 }}
      {{- if $upstream.tls }}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          '@type': type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: {{ $upstream.address | quote }}
      {{- end }}
      outlier_detection:
        consecutive_5xx: {{ $outlier.consecutive5xx | int }}
        interval: {{ $outlier.interval }}
        base_ejection_time: {{ $outlier.baseEjectionTime }}
        max_ejection_percent: {{ $outlier.maxEjectionPercent | int }}
      load_assignment:
        cluster_name: {{ . | quote }}
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: {{ $upstream.address | quote }}, port_value: {{ $upstream.port | int }} }
                metadata: { filter_metadata: { {{ $metadataNamespace | quote }}: { cluster: {{ . | quote }} } } }
    {{- end }}
    {{- if $failover.pairs }}
    # Failover: one aggregate cluster `p--q` (the x-router-failover-cluster value) per ordered pair of pools of every
    # `failover: true` model; p's priorities come first, the retry of the failover route skips them and lands on q.
    {{- end }}
    {{- range $failover.pairs }}
    - name: {{ join "--" . | squote }}
      connect_timeout: 5s
      lb_policy: CLUSTER_PROVIDED
      cluster_type:
        name: envoy.clusters.aggregate
        typed_config:
          '@type': type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig
          clusters: [{{ index . 0 | quote }}, {{ index . 1 | quote }}]
    {{- end }}
    {{- if $jwks.cluster }}
    # The JWT issuer's JWKS endpoint (envoy.jwtAuthn.remoteJwks.uri).
    - name: {{ $jwks.cluster }}
      type: STRICT_DNS
      connect_timeout: 5s
      {{- if $jwks.tls }}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          '@type': type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: {{ $jwks.host | quote }}
      {{- end }}
      load_assignment:
        cluster_name: {{ $jwks.cluster }}
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: {{ $jwks.host | quote }}, port_value: {{ $jwks.port | int }} }
    {{- end }}
{{- end }}

{{/*
The identity header names, as JSON {"userId", "userGroups"}: envoy.identity, which must equal the policy's
identity.user_id_header / user_groups_header when the rendered policy sets them (Envoy must remove and set the very
headers the router reads).
*/}}
{{- define "semantic-router.identityHeaders" -}}
{{- $identity := .Values.envoy.identity }}
{{- $headers := dict "userId" (lower $identity.userIdHeader) "userGroups" (lower $identity.userGroupsHeader) }}
{{- if not .Values.policy.existingConfigMap }}
{{- $policy := include "semantic-router.policyText" . | fromYaml }}
{{- $fromPolicy := dict "userId" (dig "identity" "user_id_header" "" $policy) "userGroups" (dig "identity" "user_groups_header" "" $policy) }}
{{- $valueOf := dict "userId" "envoy.identity.userIdHeader" "userGroups" "envoy.identity.userGroupsHeader" }}
{{- $policyField := dict "userId" "identity.user_id_header" "userGroups" "identity.user_groups_header" }}
{{- range $key := list "userId" "userGroups" }}
{{- $want := get $fromPolicy $key }}
{{- if and $want (ne (lower $want) (get $headers $key)) }}
{{- fail (printf "the policy's %s is %q but %s is %q: Envoy removes client copies of, and sets, the header the router reads; set %s: %s" (get $policyField $key) $want (get $valueOf $key) (get $headers $key) (get $valueOf $key) (lower $want)) }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson $headers }}
{{- end }}

{{/*
header_mutation HttpFilter, first in the chain: removes client-sent copies of the identity headers and of the
router's own x-selected-* / x-router-* headers (x-router-debug stays) from every request, so that only Envoy's
jwt_authn / ext_authz and the router set them. The filter removes exact names, hence the list. Args: root.
*/}}
{{- define "semantic-router.envoyHeaderMutationFilter" -}}
{{- $identity := include "semantic-router.identityHeaders" . | fromJson -}}
{{- $rateLimitKeys := include "semantic-router.rateLimitKeyHeaders" . | fromJsonArray -}}
name: envoy.filters.http.header_mutation
typed_config:
  '@type': type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
  mutations:
    request_mutations:
      - remove: {{ $identity.userId | quote }}
      - remove: {{ $identity.userGroups | quote }}
      {{- range list "x-selected-model" "x-selected-pool" "x-router-decision" "x-router-model" "x-router-pool" "x-router-confidence" "x-router-response-path" "x-router-signals" "x-router-selection" "x-router-error-code" "x-router-feedback" "x-router-failover-cluster" "x-router-upstream-cluster" "x-router-upstream-attempts" "x-envoy-original-path" }}
      - remove: {{ . }}
      {{- end }}
      {{- range $rateLimitKeys }}
      - remove: {{ . | quote }}
      {{- end }}
{{- end }}

{{/*
The rate-limit / cache-scope key headers Envoy removes from client requests (envoy.rateLimitKeyHeaders, lower-cased),
as a JSON array. Fails when the rendered policy's rate_limits keys on a tenant_header / user_header not listed:
a client could then choose its own rate-limit bucket. Args: root.
*/}}
{{- define "semantic-router.rateLimitKeyHeaders" -}}
{{- $headers := list }}
{{- range .Values.envoy.rateLimitKeyHeaders }}{{ $headers = append $headers (lower .) }}{{ end }}
{{- if not .Values.policy.existingConfigMap }}
{{- $policy := include "semantic-router.policyText" . | fromYaml }}
{{- $rateLimits := dig "rate_limits" nil $policy }}
{{- if $rateLimits }}
{{- range $field, $default := dict "tenant_header" "x-tenant-id" "user_header" "x-user-id" }}
{{- $want := lower (dig $field $default $rateLimits) }}
{{- if not (has $want $headers) }}
{{- fail (printf "the policy's rate_limits.%s is %q but envoy.rateLimitKeyHeaders does not list it: Envoy must remove client copies of the headers the rate limits key on; add %s" $field $want $want) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson $headers }}
{{- end }}

{{/*
Where jwt_authn gets the issuer's keys, as JSON: {} for envoy.jwtAuthn.localJwks, else the remote JWKS URI with the
cluster Envoy fetches it through {uri, cluster, host, port, tls}. Args: root.
*/}}
{{- define "semantic-router.jwksUpstream" -}}
{{- $remote := .Values.envoy.jwtAuthn.remoteJwks }}
{{- if and .Values.envoy.jwtAuthn.enabled $remote.uri }}
{{- $url := urlParse $remote.uri }}
{{- $hostPort := splitList ":" $url.host }}
{{- $tls := eq $url.scheme "https" }}
{{- $port := ternary 443 80 $tls }}
{{- if gt (len $hostPort) 1 }}
{{- $port = index $hostPort 1 | int }}
{{- end }}
{{- toJson (dict "uri" $remote.uri "cluster" $remote.cluster "host" (first $hostPort) "port" $port "tls" $tls) }}
{{- else }}
{{- toJson dict }}
{{- end }}
{{- end }}

{{/*
jwt_authn HttpFilter with one provider (envoy.jwtAuthn): a request without a token, or with one that does not verify
(e.g. a plain API key as bearer token), goes on anonymously: identity for routing roles, not authentication. The verified payload goes to dynamic metadata (envoy.filters.http.jwt_authn /
jwt_payload, forwarded to the router) and the user id / groups claims to the identity headers (string claims only:
Envoy sets no header for an array claim). Args: dict root, jwks (semantic-router.jwksUpstream).
*/}}
{{- define "semantic-router.envoyJwtAuthnFilter" -}}
{{- $jwt := .root.Values.envoy.jwtAuthn }}
{{- $identity := include "semantic-router.identityHeaders" .root | fromJson -}}
name: envoy.filters.http.jwt_authn
typed_config:
  '@type': type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
  providers:
    trusted_issuer:
      issuer: {{ $jwt.issuer | quote }}
      {{- with $jwt.audiences }}
      audiences:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if .jwks.uri }}
      remote_jwks:
        http_uri:
          uri: {{ .jwks.uri | quote }}
          cluster: {{ .jwks.cluster }}
          timeout: {{ $jwt.remoteJwks.timeout }}
        cache_duration: {{ $jwt.remoteJwks.cacheDuration }}
      {{- else }}
      local_jwks:
        inline_string: {{ $jwt.localJwks | quote }}
      {{- end }}
      payload_in_metadata: jwt_payload
      claim_to_headers:
        - { header_name: {{ $identity.userId | quote }}, claim_name: {{ $jwt.claims.userId | quote }} }
        - { header_name: {{ $identity.userGroups | quote }}, claim_name: {{ $jwt.claims.userGroups | quote }} }
  rules:
    - match: { prefix: / }
      requires:
        requires_any:
          requirements:
            - provider_name: trusted_issuer
            - allow_missing_or_failed: {}
{{- end }}

{{/*
The router's ext_proc HttpFilter (semantic-router.envoyExtProcFilter, same args) with the jwt_authn metadata namespace
forwarded to the router: the verified claims arrive as ProcessingRequest.metadata_context (identity.source: metadata);
and the router's own namespace (envoy.routerMetadataNamespace) received: without it Envoy drops the dynamic metadata of
the router's answers (decision, model, pool, tokens, cost), which the access log prints.
*/}}
{{- define "semantic-router.envoyRouterExtProcFilter" -}}
{{ include "semantic-router.envoyExtProcFilter" . }}
  metadata_options:
    forwarding_namespaces:
      untyped: [envoy.filters.http.jwt_authn]
    receiving_namespaces:
      untyped: [{{ .values.envoy.routerMetadataNamespace | quote }}]
{{- end }}

{{/*
The router's dynamic metadata namespace: envoy.routerMetadataNamespace, which must equal the rendered policy's
response.dynamic_metadata_namespace when it sets one (Envoy must receive the namespace the router writes). Args: root.
*/}}
{{- define "semantic-router.routerMetadataNamespace" -}}
{{- $namespace := .Values.envoy.routerMetadataNamespace }}
{{- if not .Values.policy.existingConfigMap }}
{{- $policy := include "semantic-router.policyText" . | fromYaml }}
{{- $response := get $policy "response" }}
{{- $want := "" }}
{{- if kindIs "map" $response }}
{{- $want = get $response "dynamic_metadata_namespace" | toString }}
{{- end }}
{{- if and $want (ne $want $namespace) }}
{{- fail (printf "the policy's response.dynamic_metadata_namespace is %q but envoy.routerMetadataNamespace is %q: Envoy must receive the namespace the router writes; set envoy.routerMetadataNamespace: %s" $want $namespace $want) }}
{{- end }}
{{- end }}
{{- $namespace }}
{{- end }}

{{/*
The failover clusters, as JSON {"pairs": [[primary, fallback], ...]}: every ordered pair of distinct pool clusters of
every `failover: true` model of the rendered policy (each pool as its envoy_cluster or name), without repeats; with
policy.existingConfigMap (unreadable at render time), of every list in envoy.failoverPools. Args: root.
*/}}
{{- define "semantic-router.failoverPairs" -}}
{{- $groups := list }}
{{- if .Values.policy.existingConfigMap }}
{{- $groups = .Values.envoy.failoverPools }}
{{- else }}
{{- if .Values.envoy.failoverPools }}
{{- fail "envoy.failoverPools is only for policy.existingConfigMap: the chart derives the failover clusters from the models with `failover: true` of the policy it renders" }}
{{- end }}
{{- $policy := include "semantic-router.policyText" . | fromYaml }}
{{- $clusterOf := dict }}
{{- range $policy.pools }}
{{- $_ := set $clusterOf (toString .name) (default .name .envoy_cluster | toString) }}
{{- end }}
{{- range $policy.models }}
{{- if and (kindIs "bool" .failover) .failover }}
{{- $model := .name }}
{{- $clusters := list }}
{{- range .pools }}
{{- $cluster := get $clusterOf (toString .) }}
{{- if not $cluster }}
{{- fail (printf "policy: model %q has failover: true and names pool %q, which is not in `pools`" $model .) }}
{{- end }}
{{- $clusters = append $clusters $cluster }}
{{- end }}
{{- $groups = append $groups $clusters }}
{{- end }}
{{- end }}
{{- end }}
{{- $pairs := list }}
{{- $seen := dict }}
{{- range $group := $groups }}
{{- range $primary := $group }}
{{- range $fallback := $group }}
{{- $name := printf "%s--%s" $primary $fallback }}
{{- if and (ne $primary $fallback) (not (hasKey $seen $name)) }}
{{- $_ := set $seen $name true }}
{{- $pairs = append $pairs (list $primary $fallback) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson (dict "pairs" $pairs) }}
{{- end }}
